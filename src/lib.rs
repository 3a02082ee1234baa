//! Labelhive: a self-hosted data labeling service speaking the ModelArts Data
//! Management API (v2). The binary is a thin CLI over this library, so integration
//! tests can boot the real server in-process on a random port.

pub mod api;
pub mod app;
pub mod blob;
pub mod cli;
pub mod config;
pub mod jobs;
pub mod keys;
pub mod mailer;
pub mod projects;
pub mod server;
pub mod telemetry;
