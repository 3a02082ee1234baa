//! The export job's reading side: the selected samples page by page.

use labelhive_domain::sample::Sample;
use labelhive_domain::search::SampleFilter;
use labelhive_domain::DomainError;

use crate::app::AppState;

/// Samples read per page.
const PAGE: i64 = 1000;

/// Reads the exported samples page by page, by a keyset scan.
pub(super) struct Pages<'a> {
    pub state: &'a AppState,
    pub version_id: Option<&'a str>,
    pub dataset_id: &'a str,
    pub filter: &'a SampleFilter,
}

impl Pages<'_> {
    /// The next page after `cursor`, and the cursor after it.
    pub async fn after(&self, cursor: i64) -> Result<(Vec<Sample>, i64), DomainError> {
        let store = &self.state.store;
        let filter = self.filter;
        if let Some(v) = self.version_id {
            // Versions are read by position; the state filter applies to each page.
            let mut cursor = cursor;
            loop {
                let page = store.version_samples(v, cursor, PAGE).await?;
                if page.is_empty() {
                    return Ok((Vec::new(), cursor));
                }
                cursor += i64::try_from(page.len()).unwrap_or(PAGE);
                let wanted = filter.states.map(|s| s.as_str());
                let kept: Vec<Sample> = page
                    .into_iter()
                    .filter(|s| wanted.is_none_or(|w| s.status == w))
                    .collect();
                if !kept.is_empty() {
                    return Ok((kept, cursor));
                }
            }
        }
        let rows = store
            .scan_samples(self.dataset_id, filter, cursor, PAGE)
            .await?;
        let next = rows.last().map_or(cursor, |(seq, _)| *seq);
        Ok((rows.into_iter().map(|(_, s)| s).collect(), next))
    }
}
