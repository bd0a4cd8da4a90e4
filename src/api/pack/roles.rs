//! Role and RoleLite.

use super::iso;
use crate::domain::roles::RoleRow;
use serde_json::{json, Value};

pub fn lite(r: &RoleRow) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "color": r.color,
        "iconUrl": r.icon_url,
        "description": r.description,
        "isModerator": r.is_moderator,
        "isAdministrator": r.is_administrator,
        "displayOrder": r.display_order,
    })
}

/// A role with all its settings and how many hold it by hand.
pub fn role(r: &RoleRow, users_count: i64) -> Value {
    let mut v = lite(r);
    if let (Some(o), Value::Object(more)) = (
        v.as_object_mut(),
        json!({
            "createdAt": iso(r.created_at),
            "updatedAt": iso(r.updated_at),
            "target": r.target,
            "condFormula": r.cond_formula,
            "isPublic": r.is_public,
            "isExplorable": r.is_explorable,
            "asBadge": r.as_badge,
            "preserveAssignmentOnMoveAccount": r.preserve_assignment_on_move_account,
            "canEditMembersByModerator": r.can_edit_members_by_moderator,
            "policies": r.policies,
            "usersCount": users_count,
        }),
    ) {
        o.extend(more);
    }
    v
}
