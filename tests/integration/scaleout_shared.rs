//! What several instances share (issue #17) outside socket.io: leases (`Leadership`, one instance
//! polls each vendor) in Redis or in MongoDB, and auth-failure delays per address in Redis.

use std::sync::Arc;
use std::time::Duration;

use ferroscout::config::Config;
use ferroscout::shared::{Leadership, Shared};
use ferroscout::store::{Location, Store, open};

use crate::common::{mongo_uri_for, unique};

/// The Redis the test script started; without it these tests fail unless FERROSCOUT_SKIP_REDIS=1.
fn redis_url() -> Option<String> {
    match std::env::var("FERROSCOUT_TEST_REDIS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("FERROSCOUT_SKIP_REDIS").as_deref() == Ok("1") => None,
        _ => panic!("FERROSCOUT_TEST_REDIS_URL is not set: run scripts/test (or set FERROSCOUT_SKIP_REDIS=1)"),
    }
}

fn config(vars: &[(&str, &str)]) -> Config {
    let map: std::collections::HashMap<String, String> =
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Config::from_lookup(&|k| map.get(k).cloned()).unwrap()
}

async fn mongo_store(db: &str) -> Option<Arc<dyn Store>> {
    let uri = mongo_uri_for(db)?;
    let config = config(&[]);
    let location =
        Location::Mongo { uri: &uri, collections: &config.collections, auth_prefix: &config.auth_collections_prefix };
    Some(open(location).await.unwrap())
}

async fn instance(name: &str, redis: Option<&str>, store: Arc<dyn Store>) -> Shared {
    let mut vars = vec![("FERROSCOUT_INSTANCE", name)];
    if let Some(url) = redis {
        vars.push(("REDIS_URL", url));
    }
    Shared::connect(&config(&vars).scale, store).await.unwrap()
}

/// One holds the lease; the other gets it only once the holder stopped renewing it.
async fn one_leader_at_a_time(a: Leadership, b: Leadership, job: &str) {
    let ttl = Duration::from_millis(400);
    assert!(a.hold(job, ttl).await, "the first to ask takes the lease");
    assert!(!b.hold(job, ttl).await, "the second does not while it is held");
    assert!(a.hold(job, ttl).await, "the holder renews it");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !b.hold(job, ttl).await {
        assert!(tokio::time::Instant::now() < deadline, "the lease never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!a.hold(job, ttl).await, "the old holder lost it to the new one");
}

#[tokio::test]
async fn a_lease_in_redis_has_one_holder_until_it_expires() {
    let Some(url) = redis_url() else { return };
    let store =
        open(Location::Sqlite { path: &std::env::temp_dir().join(unique("lease")).join("x.sqlite3"), max_bytes: None })
            .await;
    let store = store.unwrap_or_else(|_| panic!("sqlite"));
    let job = unique("dexcom");
    let a = Leadership::new(instance("a", Some(&url), store.clone()).await);
    let b = Leadership::new(instance("b", Some(&url), store).await);
    one_leader_at_a_time(a, b, &job).await;
}

#[tokio::test]
async fn without_redis_a_lease_lives_in_mongodb() {
    let db = unique("fsc_lease");
    let Some(store) = mongo_store(&db).await else { return };
    let a = Leadership::new(instance("a", None, store.clone()).await);
    let b = Leadership::new(instance("b", None, store).await);
    one_leader_at_a_time(a, b, "librelinkup").await;
}

#[tokio::test]
async fn auth_failure_delays_are_shared_by_every_instance() {
    let Some(url) = redis_url() else { return };
    let store =
        open(Location::Sqlite { path: &std::env::temp_dir().join(unique("delay")).join("x.sqlite3"), max_bytes: None })
            .await;
    let store = store.unwrap_or_else(|_| panic!("sqlite"));
    let a = instance("a", Some(&url), store.clone()).await;
    let b = instance("b", Some(&url), store).await;
    let pid = std::process::id();
    let ip = format!("10.77.{}.{}", pid / 250 % 250, pid % 250).parse().unwrap();
    b.delay_clear(ip).await;
    assert_eq!(b.delay_until(ip).await, Some(0));
    let now = ferroscout::domain::time::now_ms();
    let until = a.delay_failure(ip, now, 5000, 60_000).await.expect("redis answers");
    assert!(until >= now + 5000);
    assert_eq!(b.delay_until(ip).await, Some(until), "B sees the delay A recorded");
    let twice = b.delay_failure(ip, now, 5000, 60_000).await.unwrap();
    assert_eq!(twice, until + 5000, "failures on B add to those on A");
    a.delay_clear(ip).await;
    assert_eq!(b.delay_until(ip).await, Some(0), "a success anywhere clears it");
}
