//! Apache-Shiro wildcard permissions as Nightscout checks them with shiro-trie 0.4.10:
//! `domain:resource:action`, `*` matches any segment, missing trailing segments of a grant are
//! implicit `*`, a comma list in a *checked* permission requires every alternative, and a literal
//! `*` in a checked permission is only matched by a `*` in a grant.

/// True when the union of `grants` implies `permission`.
pub fn permits(grants: &[String], permission: &str) -> bool {
    let parts: Vec<Vec<&str>> = permission.split(':').map(|p| p.split(',').collect()).collect();
    let mut combo = Vec::with_capacity(parts.len());
    all_combinations(&parts, &mut combo, &|concrete| grants.iter().any(|g| implies(g, concrete)))
}

/// Calls `check` on every concrete permission the comma lists expand to; true if all pass.
fn all_combinations<'a>(parts: &[Vec<&'a str>], combo: &mut Vec<&'a str>, check: &dyn Fn(&[&str]) -> bool) -> bool {
    match parts.split_first() {
        None => check(combo),
        Some((first, rest)) => first.iter().all(|alt| {
            combo.push(alt);
            let ok = all_combinations(rest, combo, check);
            combo.pop();
            ok
        }),
    }
}

/// Does one grant (which may itself hold comma lists) imply one concrete permission?
fn implies(grant: &str, perm: &[&str]) -> bool {
    let g: Vec<&str> = grant.split(':').collect();
    for (i, p) in perm.iter().enumerate() {
        let Some(gp) = g.get(i) else { return true };
        if *gp == "*" {
            continue;
        }
        if *p == "*" || !gp.split(',').any(|alt| alt == *p) {
            return false;
        }
    }
    g[perm.len().min(g.len())..].iter().all(|gp| *gp == "*")
}

/// The permissions of Nightscout's built-in roles (`lib/authorization/storage.js`).
pub fn builtin_role(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "admin" => &["*"],
        "denied" => &[],
        "status-only" => &["api:status:read"],
        "readable" => &["*:*:read"],
        "careportal" => &["api:treatments:create"],
        "devicestatus-upload" => &["api:devicestatus:create"],
        "activity" => &["api:activity:create"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn admin_star_permits_everything() {
        let admin = g(&["*"]);
        assert!(permits(&admin, "api:entries:create"));
        assert!(permits(&admin, "api:*:create,update,delete"));
        assert!(permits(&admin, "authorization:debug:test"));
    }

    #[test]
    fn readable_reads_but_does_not_write() {
        let r = g(&["*:*:read"]);
        assert!(permits(&r, "api:entries:read"));
        assert!(permits(&r, "api:*:read"));
        assert!(!permits(&r, "api:entries:create"));
        assert!(!permits(&r, "*:*:write"));
    }

    #[test]
    fn literal_star_in_check_needs_star_in_grant() {
        assert!(!permits(&g(&["api:entries:read"]), "api:*:read"));
    }

    #[test]
    fn comma_lists_need_every_alternative() {
        let care = g(&["api:treatments:create"]);
        assert!(permits(&care, "api:treatments:create"));
        assert!(!permits(&care, "api:treatments:create,update,delete"));
        let all = g(&["api:treatments:create", "api:treatments:update", "api:treatments:delete"]);
        assert!(permits(&all, "api:treatments:create,update,delete"));
        assert!(permits(&g(&["api:treatments:create,update,delete"]), "api:treatments:update"));
    }

    #[test]
    fn shorter_grants_are_implicit_wildcards_longer_ones_are_not() {
        assert!(permits(&g(&["api"]), "api:entries:read"));
        assert!(!permits(&g(&["api:entries:read"]), "api:entries"));
        assert!(!permits(&[], "api:entries:read"));
    }

    #[test]
    fn builtin_roles_are_known() {
        assert_eq!(builtin_role("readable"), Some(&["*:*:read"][..]));
        assert_eq!(builtin_role("denied"), Some(&[][..]));
        assert_eq!(builtin_role("nobody"), None);
    }
}
