//! Sample search: the query parameters of "Obtaining a Sample List" turned into a
//! typed, validated [`SampleFilter`]; the `search_conditions` JSON is read in the
//! `conditions` module.
//!
//! The store translates the filter into SQL without looking at strings again, so
//! every rule of the spec is checked here, once, with the wire's field names in the
//! errors (`search_conditions[1].sample_time`). Empty strings count as absent, as web
//! forms send blank fields.

use crate::team_task::ItemFilter;
use crate::DomainError;

mod conditions;

pub use conditions::{
    parse_search_conditions, BoolOp, Condition, LabelMatch, LabelTerm, PropMatch, PropTerms,
    SearchCondition, SearchLabel, SearchLabels, SearchProp,
};

/// Label types the `label_type` query parameter accepts (Table 2 of the sample list).
pub const QUERY_LABEL_TYPES: &[i32] = &[0, 1, 3, 100, 101, 102, 200, 201, 202, 400, 600, 900];

/// Everything the sample list filters on; all parts combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleFilter {
    /// From `sample_state`.
    pub states: Option<SampleState>,
    /// From `label_name`.
    pub label_name: Option<String>,
    /// From `label_type`, one of [`QUERY_LABEL_TYPES`].
    pub label_type: Option<i32>,
    /// `low_score..=high_score` when either is given, defaults 0 and 1.
    pub score: Option<(f64, f64)>,
    /// From `sample_type`, one of [`SAMPLE_TYPES`].
    pub sample_type: Option<i32>,
    /// From `search_conditions`, AND-ed.
    pub conditions: Vec<Condition>,
    /// Conditions of which one must hold (an export's `search_conditions`); empty: no rule.
    pub any_of: Vec<Condition>,
    /// Only these sample ids (an export's `samples`); empty: no rule.
    pub ids: Vec<String>,
    /// Only samples with an item of one of the dataset's team tasks matching this
    /// (a team `sample_state`, the `email` of a member).
    pub items: Option<ItemFilter>,
}

impl SampleFilter {
    /// The dataset list's reading of team labeling: a team `sample_state` narrows by the
    /// team tasks' items in that state; with a member (`email`), every state is read
    /// on that member's items.
    pub fn on_team_items(mut self, worker_id: Option<String>) -> Self {
        let team_state = self.states.filter(|s| {
            worker_id.is_some()
                || !matches!(
                    s,
                    SampleState::All | SampleState::None | SampleState::AutoAnnotation
                )
        });
        if team_state.is_some() || worker_id.is_some() {
            self.states = None;
            let mut items = ItemFilter::default().with_state(team_state);
            items.worker_id = worker_id;
            self.items = Some(items);
        }
        self
    }
}

/// A `sample_state` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleState {
    /// `__ALL__`: labeled.
    All,
    /// `__NONE__`: unlabeled.
    None,
    /// `__UNCHECK__`: to be accepted.
    Uncheck,
    /// `__ACCEPTED__`: accepted.
    Accepted,
    /// `__REJECTED__`: rejected.
    Rejected,
    /// `__UNREVIEWED__`: to be reviewed.
    Unreviewed,
    /// `__REVIEWED__`: reviewed.
    Reviewed,
    /// `__WORKFORCE_SAMPLED__`: sampled.
    WorkforceSampled,
    /// `__WORKFORCE_SAMPLED_UNCHECK__`: sampling pending check.
    WorkforceSampledUncheck,
    /// `__WORKFORCE_SAMPLED_CHECKED__`: sampling checked.
    WorkforceSampledChecked,
    /// `__WORKFORCE_SAMPLED_ACCEPTED__`: sampling accepted.
    WorkforceSampledAccepted,
    /// `__WORKFORCE_SAMPLED_REJECTED__`: sampling rejected.
    WorkforceSampledRejected,
    /// `__AUTO_ANNOTATION__`: to be confirmed.
    AutoAnnotation,
}

impl SampleState {
    /// Every state, in the spec's order.
    pub const VALUES: [SampleState; 13] = [
        Self::All,
        Self::None,
        Self::Uncheck,
        Self::Accepted,
        Self::Rejected,
        Self::Unreviewed,
        Self::Reviewed,
        Self::WorkforceSampled,
        Self::WorkforceSampledUncheck,
        Self::WorkforceSampledChecked,
        Self::WorkforceSampledAccepted,
        Self::WorkforceSampledRejected,
        Self::AutoAnnotation,
    ];

    /// The state named by its exact wire string, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::VALUES.into_iter().find(|v| v.as_str() == s)
    }

    /// The wire string, e.g. `__ALL__`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "__ALL__",
            Self::None => "__NONE__",
            Self::Uncheck => "__UNCHECK__",
            Self::Accepted => "__ACCEPTED__",
            Self::Rejected => "__REJECTED__",
            Self::Unreviewed => "__UNREVIEWED__",
            Self::Reviewed => "__REVIEWED__",
            Self::WorkforceSampled => "__WORKFORCE_SAMPLED__",
            Self::WorkforceSampledUncheck => "__WORKFORCE_SAMPLED_UNCHECK__",
            Self::WorkforceSampledChecked => "__WORKFORCE_SAMPLED_CHECKED__",
            Self::WorkforceSampledAccepted => "__WORKFORCE_SAMPLED_ACCEPTED__",
            Self::WorkforceSampledRejected => "__WORKFORCE_SAMPLED_REJECTED__",
            Self::AutoAnnotation => "__AUTO_ANNOTATION__",
        }
    }
}

/// The documented `sample_type` values: image, text, audio, table, video, free format.
pub const SAMPLE_TYPES: &[i32] = &[0, 1, 2, 4, 6, 9];

/// Validates the sample list's `sample_type` parameter.
pub fn sample_type(raw: Option<&str>) -> Result<Option<i32>, DomainError> {
    nonblank(raw)
        .map(|s| {
            s.trim()
                .parse::<i32>()
                .ok()
                .filter(|t| SAMPLE_TYPES.contains(t))
                .ok_or_else(|| {
                    DomainError::invalid(
                        "sample_type",
                        format!("{s:?} is not one of {SAMPLE_TYPES:?}"),
                    )
                })
        })
        .transpose()
}

/// Validates the sample list's query parameters into one filter.
pub fn sample_filter(
    sample_state: Option<&str>,
    label_name: Option<&str>,
    label_type: Option<&str>,
    low_score: Option<&str>,
    high_score: Option<&str>,
    search_conditions: Option<&str>,
    now_ms: i64,
) -> Result<SampleFilter, DomainError> {
    let states = nonblank(sample_state)
        .map(|s| {
            SampleState::parse(s).ok_or_else(|| {
                let known: Vec<&str> = SampleState::VALUES.iter().map(|v| v.as_str()).collect();
                DomainError::invalid(
                    "sample_state",
                    format!("unknown value {s:?}, expected one of {}", known.join(", ")),
                )
            })
        })
        .transpose()?;
    let label_type = nonblank(label_type)
        .map(|s| {
            s.parse::<i32>()
                .ok()
                .filter(|t| QUERY_LABEL_TYPES.contains(t))
                .ok_or_else(|| {
                    DomainError::invalid(
                        "label_type",
                        format!("{s:?} is not one of {QUERY_LABEL_TYPES:?}"),
                    )
                })
        })
        .transpose()?;
    let score_of = |field: &str, v: Option<&str>| {
        nonblank(v)
            .map(|s| {
                number(s)
                    .filter(|n| (0.0..=1.0).contains(n))
                    .ok_or_else(|| DomainError::invalid(field, "must be a number from 0 to 1"))
            })
            .transpose()
    };
    let low = score_of("low_score", low_score)?;
    let high = score_of("high_score", high_score)?;
    let given = low.is_some() || high.is_some();
    let score = given.then(|| (low.unwrap_or(0.0), high.unwrap_or(1.0)));
    if score.is_some_and(|(low, high)| low > high) {
        return Err(DomainError::invalid(
            "low_score",
            "must not exceed high_score",
        ));
    }
    Ok(SampleFilter {
        states,
        label_name: nonblank(label_name).map(str::to_owned),
        label_type,
        score,
        conditions: match search_conditions {
            Some(raw) => parse_search_conditions(raw, now_ms)?,
            None => Vec::new(),
        },
        ..SampleFilter::default()
    })
}

/// A query value that is present and not empty.
pub(crate) fn nonblank(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// A finite decimal number.
pub(crate) fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2019-09-15T12:00:00Z.
    const NOW: i64 = 1_568_548_800_000;

    fn field_of(res: Result<impl std::fmt::Debug, DomainError>) -> String {
        match res {
            Err(DomainError::InvalidParameter { field, .. }) => field,
            other => panic!("expected an invalid parameter, got {other:?}"),
        }
    }

    #[test]
    fn sample_type_is_one_of_the_documented_values() {
        assert_eq!(sample_type(None).unwrap(), None);
        assert_eq!(sample_type(Some("6")).unwrap(), Some(6));
        for bad in ["3", "x"] {
            assert!(matches!(
                sample_type(Some(bad)),
                Err(DomainError::InvalidParameter { .. })
            ));
        }
    }

    #[test]
    fn every_sample_state_round_trips() {
        for state in SampleState::VALUES {
            assert_eq!(SampleState::parse(state.as_str()), Some(state));
            let f = sample_filter(Some(state.as_str()), None, None, None, None, None, NOW);
            assert_eq!(f.unwrap().states, Some(state));
        }
        assert_eq!(SampleState::parse("__ALL__"), Some(SampleState::All));
        assert_eq!(SampleState::None.as_str(), "__NONE__");
        assert_eq!(SampleState::parse("__all__"), None);
        let res = sample_filter(Some("labeled"), None, None, None, None, None, NOW);
        assert_eq!(field_of(res), "sample_state");
    }

    #[test]
    fn sample_filter_validates_each_parameter() {
        let f = |t: Option<&str>, lo: Option<&str>, hi: Option<&str>| {
            sample_filter(None, Some("cat"), t, lo, hi, Some(r#"[{"hard":"0"}]"#), NOW)
        };
        let ok = f(Some("400"), Some("0.2"), None).unwrap();
        assert_eq!(ok.label_name.as_deref(), Some("cat"));
        assert_eq!((ok.label_type, ok.score), (Some(400), Some((0.2, 1.0))));
        assert_eq!(ok.conditions.len(), 1);
        assert_eq!(f(None, None, Some("0.7")).unwrap().score, Some((0.0, 0.7)));
        assert_eq!(f(None, None, None).unwrap().score, None);
        for t in ["103", "7", "x", "1.0"] {
            assert_eq!(field_of(f(Some(t), None, None)), "label_type", "{t}");
        }
        assert_eq!(field_of(f(None, Some("0.8"), Some("0.3"))), "low_score");
        assert_eq!(field_of(f(None, Some("high"), None)), "low_score");
        assert_eq!(field_of(f(None, Some("-0.1"), None)), "low_score");
        assert_eq!(field_of(f(None, None, Some("1.1"))), "high_score");
        let empty = sample_filter(Some(""), Some(""), Some(""), Some(""), None, Some(""), NOW);
        assert_eq!(empty.unwrap(), SampleFilter::default());
        let bad = sample_filter(None, None, None, None, None, Some("{"), NOW);
        assert_eq!(field_of(bad), "search_conditions");
    }

    #[test]
    fn team_states_and_members_move_onto_team_items() {
        use crate::team_task::item_state;
        let with = |state: SampleState| SampleFilter {
            states: Some(state),
            ..SampleFilter::default()
        };
        // Dataset states stay on the samples, team states move to the items.
        assert_eq!(
            with(SampleState::All).on_team_items(None),
            with(SampleState::All)
        );
        let f = with(SampleState::Uncheck).on_team_items(None);
        assert_eq!(f.states, None);
        let items = f.items.unwrap();
        assert_eq!(items.states, vec![item_state::UNCHECK]);
        assert_eq!(items.worker_id, None);
        // A member reads every state, dataset ones included, on their items.
        let f = with(SampleState::None).on_team_items(Some("w1".into()));
        assert_eq!(f.states, None);
        let items = f.items.unwrap();
        assert_eq!(items.states, vec![item_state::NONE]);
        assert_eq!(items.worker_id.as_deref(), Some("w1"));
        let f = SampleFilter::default().on_team_items(Some("w1".into()));
        assert_eq!(f.items.unwrap().states, Vec::<i32>::new());
        assert_eq!(SampleFilter::default().on_team_items(None).items, None);
    }
}
