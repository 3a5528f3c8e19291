//! Who may do what: role guards, declared on the field or mutation they protect, and the
//! row-level rules that mutations check inside their transaction.

use async_graphql::{Context, Guard};
use entity::{account_plan, client, contact, enums::Role, need};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::context::ContextExt;
use crate::{
    auth::Principal,
    db,
    error::{AppError, AppResult},
};

/// Admits the listed roles only; anyone else gets `FORBIDDEN`.
#[derive(Debug, Clone, Copy)]
pub struct RoleGuard(&'static [Role]);

impl RoleGuard {
    /// Administrators only.
    #[must_use]
    pub const fn admin() -> Self {
        Self(&[Role::Admin])
    }

    /// Those who read the portfolio: everyone but integrators, who see only what they need
    /// to find clients and contacts.
    #[must_use]
    pub const fn readers() -> Self {
        Self(&[Role::Admin, Role::Manager, Role::Analyst])
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

/// What a mutation changes, named by its id: each belongs to one client.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    Client(Uuid),
    Contact(Uuid),
    Need(Uuid),
    AccountPlan(Uuid),
}

/// The row-level write rule, checked inside the mutation's transaction: an administrator may
/// change any client's records, a manager only those of the clients they manage.
///
/// # Errors
/// `NOT_FOUND` when the target does not exist, `FORBIDDEN` when it belongs to a client the
/// principal does not manage; database failures.
pub async fn authorize_write<C: ConnectionTrait>(
    db: &C,
    principal: Principal,
    target: Target,
) -> AppResult<client::Model> {
    let client_id = match target {
        Target::Client(id) => id,
        Target::Contact(id) => {
            owner::<contact::Entity, _>(db, contact::Column::Id, id, "contact")
                .await?
                .client_id
        }
        Target::Need(id) => {
            owner::<need::Entity, _>(db, need::Column::Id, id, "need")
                .await?
                .client_id
        }
        Target::AccountPlan(id) => {
            owner::<account_plan::Entity, _>(db, account_plan::Column::Id, id, "account plan")
                .await?
                .client_id
        }
    };
    let client = db::clients::get(db, client_id).await?;
    if may_write(principal, client.manager_id) {
        Ok(client)
    } else {
        Err(AppError::Forbidden(
            "a manager may only change the clients they manage".into(),
        ))
    }
}

/// Whether `principal` may change a client managed by `manager`.
#[must_use]
pub fn may_write(principal: Principal, manager: Option<Uuid>) -> bool {
    match principal.role {
        Role::Admin => true,
        Role::Manager => manager == Some(principal.user_id),
        Role::Analyst | Role::Integrator => false,
    }
}

/// Whether `principal` may record interactions with a client managed by `manager`:
/// integrators feed every client's history, managers only their own clients'.
#[must_use]
pub fn may_record_interactions(principal: Principal, manager: Option<Uuid>) -> bool {
    principal.role == Role::Integrator || may_write(principal, manager)
}

/// Whether `principal` may make `new_manager` the manager of a client now managed by
/// `current`: a manager may take an unmanaged client or hand on their own, never take one
/// away from another manager.
#[must_use]
pub fn may_assign(principal: Principal, current: Option<Uuid>, new_manager: Option<Uuid>) -> bool {
    match principal.role {
        Role::Admin => true,
        Role::Manager => match current {
            None => new_manager == Some(principal.user_id),
            Some(current) => current == principal.user_id,
        },
        Role::Analyst | Role::Integrator => false,
    }
}

async fn owner<E, C>(db: &C, column: E::Column, id: Uuid, what: &'static str) -> AppResult<E::Model>
where
    E: sea_orm::EntityTrait,
    C: ConnectionTrait,
{
    db::by_ids::<E, _>(db, column, &[id])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound(what))
}

/// Personal contact details (e-mail, phone, notes): administrators always; managers when the
/// person consented to the processing of their data; analysts and integrators never.
#[derive(Debug, Clone, Copy)]
pub struct ContactDetailsGuard {
    consented: bool,
}

impl ContactDetailsGuard {
    #[must_use]
    pub const fn new(consented: bool) -> Self {
        Self { consented }
    }
}

impl Guard for ContactDetailsGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let principal = ctx.principal()?;
        let allowed = match principal.role {
            Role::Admin => true,
            Role::Manager => self.consented,
            Role::Analyst | Role::Integrator => false,
        };
        if allowed {
            Ok(())
        } else if principal.role == Role::Manager {
            Err(AppError::Forbidden(
                "the person has not consented to the processing of their personal data".into(),
            )
            .into())
        } else {
            Err(AppError::Forbidden(format!(
                "contact details are personal data, not shown to the {} role",
                crate::auth::role_name(principal.role)
            ))
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: Uuid::from_u128(1),
            role,
        }
    }

    #[test]
    fn managers_write_only_their_own_clients() {
        let me = Some(Uuid::from_u128(1));
        let other = Some(Uuid::from_u128(2));
        assert!(may_write(principal(Role::Manager), me));
        assert!(!may_write(principal(Role::Manager), other));
        assert!(!may_write(principal(Role::Manager), None));
        assert!(may_write(principal(Role::Admin), other));
        assert!(!may_write(principal(Role::Analyst), me));
        assert!(may_record_interactions(principal(Role::Integrator), other));
    }

    #[test]
    fn a_manager_never_takes_a_client_from_another_manager() {
        let me = Some(Uuid::from_u128(1));
        let other = Some(Uuid::from_u128(2));
        let manager = principal(Role::Manager);
        assert!(may_assign(manager, None, me));
        assert!(!may_assign(manager, None, other));
        assert!(may_assign(manager, me, other));
        assert!(!may_assign(manager, other, me));
        assert!(may_assign(principal(Role::Admin), other, me));
    }
}
