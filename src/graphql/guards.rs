//! Role guards, declared on the field or mutation they protect.

use async_graphql::{Context, Guard};
use entity::enums::Role;

use super::context::ContextExt;
use crate::error::AppError;

/// Admits the listed roles only; anyone else gets `FORBIDDEN`.
#[derive(Debug, Clone, Copy)]
pub struct RoleGuard(&'static [Role]);

impl RoleGuard {
    /// Administrators only.
    #[must_use]
    pub const fn admin() -> Self {
        Self(&[Role::Admin])
    }

    /// Those who write clients and what is recorded about them.
    #[must_use]
    pub const fn client_writers() -> Self {
        Self(&[Role::Admin, Role::Manager])
    }

    /// Those who record interactions.
    #[must_use]
    pub const fn interaction_writers() -> Self {
        Self(&[Role::Admin, Role::Manager, Role::Integrator])
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let principal = ctx.principal()?;
        if self.0.contains(&principal.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "the {} role may not do this",
                crate::auth::role_name(principal.role)
            ))
            .into())
        }
    }
}
