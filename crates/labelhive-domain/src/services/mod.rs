//! Use cases over the ports: what handlers and jobs call.

pub mod datasets;
pub mod exports;
pub mod imports;
pub mod labels;
pub mod samples;
pub mod syncs;
pub mod versions;
