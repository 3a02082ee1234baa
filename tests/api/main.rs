//! The integration suite: the real server on 127.0.0.1 with a random port, spoken to
//! over HTTP, each scenario against SQLite and against PostgreSQL.
//!
//! PostgreSQL scenarios run when `LABELHIVE_TEST_DATABASE_URL` names a server (each test
//! creates and drops its own database there); without it they say so and return.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod storage;

mod auth;
mod cli;
mod coco;
mod crash;
mod crash_export;
mod crash_import;
mod datasets;
mod datasets_invalid;
mod exports;
mod groundtruth;
mod imports;
mod label_search;
mod label_types;
mod labels;
mod nul_text;
mod odd_values;
mod paging;
mod reconnect;
mod s3;
mod sample_helpers;
mod sample_search;
mod samples;
mod sdk;
mod smtp;
mod stats;
mod store_suite;
mod syncs;
mod team_allocation;
mod team_consensus;
mod team_from_dataset;
mod team_helpers;
mod team_members;
mod team_roles;
mod team_stats;
mod team_sync_failure;
mod team_tasks;
mod usages;
mod versions;
mod workforces;
mod yolo;
