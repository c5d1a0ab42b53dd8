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

/// The permissions Nightscout 15's routes check (its `seenPermissions` after startup), sorted.
pub const NIGHTSCOUT_PERMISSIONS: [&str; 37] = [
    "admin:api:permissions:read",
    "admin:api:roles:create",
    "admin:api:roles:delete",
    "admin:api:roles:list",
    "admin:api:roles:update",
    "admin:api:subjects:create",
    "admin:api:subjects:delete",
    "admin:api:subjects:read",
    "admin:api:subjects:update",
    "api:*:read",
    "api:activity:create",
    "api:activity:delete",
    "api:activity:read",
    "api:activity:update",
    "api:devicestatus:create",
    "api:devicestatus:delete",
    "api:devicestatus:read",
    "api:entries:create",
    "api:entries:delete",
    "api:entries:read",
    "api:food:create",
    "api:food:delete",
    "api:food:read",
    "api:food:update",
    "api:pebble,entries:read",
    "api:profile:create",
    "api:profile:delete",
    "api:profile:read",
    "api:profile:update",
    "api:status:read",
    "api:treatments:create",
    "api:treatments:delete",
    "api:treatments:read",
    "api:treatments:update",
    "authorization:debug:test",
    "notifications:*:ack",
    "notifications:loop:push",
];

/// The trie shiro-trie 0.4.10 builds from `permissions` (its `_add`), as `GET
/// /permissions/trie` serialises the trie object: `{"data": {segment: {…, "*": {}}}}`.
pub fn trie_json(permissions: &[String]) -> serde_json::Value {
    let mut data = serde_json::Map::new();
    for p in permissions {
        let parts: Vec<&str> = p.split(':').collect();
        add(&mut data, &parts);
    }
    serde_json::json!({ "data": data })
}

type Node = serde_json::Map<String, serde_json::Value>;

fn child<'a>(node: &'a mut Node, key: &str) -> &'a mut Node {
    let slot = node.entry(key.to_owned()).or_insert_with(|| serde_json::json!({}));
    if !slot.is_object() {
        *slot = serde_json::json!({});
    }
    slot.as_object_mut().expect("just made an object")
}

/// One permission into the trie: a comma list branches, each branch taking the rest; a path
/// that did not branch ends in a `*` leaf unless its parent already has a `*` (or it is one).
fn add(trie: &mut Node, parts: &[&str]) {
    let mut node = trie;
    let mut parent_has_star = false;
    for (i, part) in parts.iter().enumerate() {
        let values: Vec<&str> = part.split(',').collect();
        if values.len() > 1 {
            for v in values {
                add(child(node, v), &parts[i + 1..]);
            }
            return;
        }
        // shiro-trie looks at the parent after the child is made, so a `*` segment counts.
        parent_has_star = values[0] == "*" || node.contains_key("*");
        node = child(node, values[0]);
    }
    if !parent_has_star || parts.is_empty() {
        node.insert("*".into(), serde_json::json!({}));
    }
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
    fn the_trie_is_shaped_as_shiro_trie_builds_it() {
        let t = trie_json(&g(&["api:entries:read", "api:pebble,entries:read", "*"]));
        assert_eq!(
            t,
            serde_json::json!({"data": {
                "api": {
                    "entries": {"read": {"*": {}}},
                    "pebble": {"read": {"*": {}}},
                },
                "*": {},
            }})
        );
    }
}
