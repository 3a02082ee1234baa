//! Dataset types (`dataset_type`) and what each one accepts.

/// Dataset types of the spec (`dataset_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetType {
    /// 0: image classification.
    ImageClassification,
    /// 1: object detection.
    ObjectDetection,
    /// 3: image segmentation.
    ImageSegmentation,
    /// 100: text classification.
    TextClassification,
    /// 101: named entity recognition.
    NamedEntity,
    /// 102: text triplet.
    TextTriplet,
    /// 200: sound classification.
    SoundClassification,
    /// 201: speech content.
    SpeechContent,
    /// 202: speech paragraph labeling.
    SpeechParagraph,
    /// 400: table dataset.
    Table,
    /// 600: video labeling.
    Video,
    /// 900: custom format.
    Custom,
}

/// Every documented `dataset_type` value.
pub const DATASET_TYPES: &[i32] = &[0, 1, 3, 100, 101, 102, 200, 201, 202, 400, 600, 900];

impl DatasetType {
    /// Parses the wire value.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => Self::ImageClassification,
            1 => Self::ObjectDetection,
            3 => Self::ImageSegmentation,
            100 => Self::TextClassification,
            101 => Self::NamedEntity,
            102 => Self::TextTriplet,
            200 => Self::SoundClassification,
            201 => Self::SpeechContent,
            202 => Self::SpeechParagraph,
            400 => Self::Table,
            600 => Self::Video,
            900 => Self::Custom,
            _ => return None,
        })
    }

    /// The wire value.
    pub fn code(self) -> i32 {
        match self {
            Self::ImageClassification => 0,
            Self::ObjectDetection => 1,
            Self::ImageSegmentation => 3,
            Self::TextClassification => 100,
            Self::NamedEntity => 101,
            Self::TextTriplet => 102,
            Self::SoundClassification => 200,
            Self::SpeechContent => 201,
            Self::SpeechParagraph => 202,
            Self::Table => 400,
            Self::Video => 600,
            Self::Custom => 900,
        }
    }

    /// `dataset_tags`: the data kind and the task, as the console shows them.
    pub fn tags(self) -> Vec<String> {
        let (kind, task) = match self {
            Self::ImageClassification => ("Image", "Image classification"),
            Self::ObjectDetection => ("Image", "Object detection"),
            Self::ImageSegmentation => ("Image", "Image segmentation"),
            Self::TextClassification => ("Text", "Text classification"),
            Self::NamedEntity => ("Text", "Named entity recognition"),
            Self::TextTriplet => ("Text", "Text triplet"),
            Self::SoundClassification => ("Audio", "Sound classification"),
            Self::SpeechContent => ("Audio", "Speech content"),
            Self::SpeechParagraph => ("Audio", "Speech paragraph labeling"),
            Self::Table => ("Table", "Table"),
            Self::Video => ("Video", "Video labeling"),
            Self::Custom => ("Other", "Custom format"),
        };
        vec![kind.to_owned(), task.to_owned()]
    }

    /// `dataset_format`: 1 for tables, 0 for file datasets.
    pub fn dataset_format(self) -> i32 {
        i32::from(self == Self::Table)
    }

    /// The ModelArts `sample_type` of this dataset's samples.
    pub fn sample_type(self) -> i32 {
        match self {
            Self::ImageClassification | Self::ObjectDetection | Self::ImageSegmentation => 0,
            Self::TextClassification | Self::NamedEntity | Self::TextTriplet => 1,
            Self::SoundClassification | Self::SpeechContent | Self::SpeechParagraph => 2,
            Self::Table => 4,
            Self::Video => 6,
            Self::Custom => 9,
        }
    }

    /// Whether a file of this name becomes a sample when its directory is imported.
    pub fn accepts_file(self, file_name: &str) -> bool {
        if file_name.starts_with('.') {
            return false;
        }
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let allowed: &[&str] = match self.sample_type() {
            0 => &["jpg", "jpeg", "png", "bmp"],
            1 => &["txt", "csv"],
            2 => &["wav"],
            4 => &["csv"],
            6 => &["mp4"],
            _ => return true,
        };
        allowed.contains(&ext.as_str())
    }

    /// Whether datasets of this type can be exported (`support_export` filter).
    pub fn supports_export(self) -> bool {
        matches!(
            self,
            Self::ImageClassification | Self::ObjectDetection | Self::Custom
        )
    }
}
