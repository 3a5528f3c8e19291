//! Pure types and rules of the field, without I/O: parsed once at the edge, trusted after.

pub mod kaism;
pub mod money;
pub mod registry_id;
pub mod solvency;
pub mod text;
