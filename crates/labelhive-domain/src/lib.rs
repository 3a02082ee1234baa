#![doc = include_str!("../README.md")]

pub mod annotation;
pub mod blob;
pub mod coco;
pub mod dataset;
pub mod error;
pub mod export;
pub mod failure;
pub mod hard;
pub mod ids;
pub mod import;
pub mod job;
pub mod label;
pub mod layouts;
pub mod manifest;
pub mod names;
pub mod obs_path;
pub mod project;
pub mod sample;
pub mod search;
pub mod services;
pub mod store;
pub mod time;
pub mod version;
pub mod voc;

pub use error::DomainError;
