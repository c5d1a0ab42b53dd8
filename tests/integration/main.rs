//! The integration tests: one test binary (it links once), a module per API area or deployment
//! concern. Each test runs a real server on 127.0.0.1:0 on a fresh database of either backend
//! (`common`), and removes its data folder and database when it ends.

#[macro_use]
mod common;
mod batch_writes;
mod bridge_fakes;
mod bridges;
mod deploy_base_path;
mod deploy_redirect;
mod deploy_shutdown;
mod deploy_tls;
mod devicestatus;
mod edge_limits;
mod engine_external;
mod engine_reads;
mod entries;
mod faults_http_fuzz;
mod faults_kill;
mod faults_socket_fuzz;
mod faults_storage;
mod large_reads;
mod limits;
mod looper_properties;
mod outages;
mod pebble_properties;
mod profile_food;
mod scaleout_shared;
mod times_slice;
mod tokens;
mod tokens_jwt;
mod treatments;
mod v3_androidaps;
mod v3_client;
mod v3_rules;
mod wire_fidelity;
mod wire_table;
mod wire_tables_v1;
mod wire_tables_v1_more;
mod wire_tables_v2_v3;
