//! The pure parts of the directory import layouts (spec guide:
//! specifications_for_importing_data_from_an_obs_directory): class folders, label files
//! beside images, and the two text classification layouts.
//!
//! Choices where the specification is silent: a UTF-8 byte order mark and trailing
//! carriage returns are dropped; a combined line splits at the last sample separator
//! (texts may contain it, labels may not); a text line without the separator is a
//! sample without labels.

/// Separator characters the specification allows besides letters and digits.
const SEPARATOR_PUNCTUATION: &str = "!@#$%^&*_=|?/':.;,";

/// Separators of the combined text layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextFormat {
    /// Between the text and its labels (Tab by default).
    pub sample_separator: char,
    /// Between labels (`,` by default).
    pub label_separator: char,
}

impl Default for TextFormat {
    fn default() -> Self {
        Self {
            sample_separator: '\t',
            label_separator: ',',
        }
    }
}

/// Where text classification labels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextLayout {
    /// After a separator on each line (`label_type` 1, the default).
    Combined(TextFormat),
    /// In `<name>_result.txt`, line by line (`label_type` 0), split by this separator.
    ResultFiles(char),
}

/// One text sample of a text file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    /// Line number, 1-based.
    pub line: usize,
    /// The text.
    pub text: String,
    /// Its labels.
    pub labels: Vec<String>,
}

/// The label of a file in a class folder: the last directory of its path relative to
/// the import root (`Rabbit/10.jpg` → `Rabbit`); `None` for files at the root.
pub fn class_folder_label(relative_path: &str) -> Option<&str> {
    let (dir, _) = relative_path.rsplit_once('/')?;
    dir.rsplit('/').next().filter(|d| !d.is_empty())
}

fn strip_bom(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s)
}

/// The labels of an image's label file: names separated by white space, first
/// occurrence kept.
pub fn label_file_names(content: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in strip_bom(content).split_whitespace() {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    }
    out
}

/// Parses one separator: a single allowed character, or `\t` spelled out.
fn separator(field: &str, raw: Option<&str>, default: char) -> Result<char, String> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    if raw == "\\t" || raw == "\t" {
        return Ok('\t');
    }
    let mut chars = raw.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphanumeric() || SEPARATOR_PUNCTUATION.contains(c) => Ok(c),
        _ => Err(format!(
            "{field} must be one letter, digit, tab or one of {SEPARATOR_PUNCTUATION}"
        )),
    }
}

/// Reads `label_format` into a layout.
pub fn parse_text_format(
    label_type: Option<&str>,
    text_sample_separator: Option<&str>,
    text_label_separator: Option<&str>,
) -> Result<TextLayout, String> {
    let sample = separator("text_sample_separator", text_sample_separator, '\t')?;
    let label = separator("text_label_separator", text_label_separator, ',')?;
    match label_type {
        None | Some("1") => {
            if sample == label {
                return Err("text_sample_separator and text_label_separator must differ".to_owned());
            }
            Ok(TextLayout::Combined(TextFormat {
                sample_separator: sample,
                label_separator: label,
            }))
        }
        Some("0") => Ok(TextLayout::ResultFiles(label)),
        Some(other) => Err(format!("label_type {other:?} must be 0 or 1")),
    }
}

fn split_labels(part: &str, sep: char) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in part.split(sep).map(str::trim).filter(|l| !l.is_empty()) {
        if !out.iter().any(|o| o == l) {
            out.push(l.to_owned());
        }
    }
    out
}

/// The non-empty lines of a text, numbered from 1.
fn numbered(content: &str) -> impl Iterator<Item = (usize, &str)> {
    strip_bom(content)
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
}

/// The samples of a combined text file.
pub fn combined_lines(content: &str, format: &TextFormat) -> Vec<TextLine> {
    numbered(content)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(line, l)| match l.rsplit_once(format.sample_separator) {
            Some((text, labels)) if !text.trim().is_empty() => TextLine {
                line,
                text: text.to_owned(),
                labels: split_labels(labels, format.label_separator),
            },
            _ => TextLine {
                line,
                text: l.to_owned(),
                labels: Vec::new(),
            },
        })
        .collect()
}

/// The samples of a text file whose labels are the same lines of its `_result` file.
pub fn result_file_lines(
    text: &str,
    result: &str,
    label_separator: char,
) -> Result<Vec<TextLine>, String> {
    let texts: Vec<(usize, &str)> = numbered(text).collect();
    let results: Vec<(usize, &str)> = numbered(result).collect();
    if let Some((n, _)) = results.iter().find(|(n, r)| {
        !r.trim().is_empty() && texts.get(n - 1).is_none_or(|(_, t)| t.trim().is_empty())
    }) {
        return Err(format!(
            "line {n} of the result file has labels but no text"
        ));
    }
    Ok(texts
        .into_iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(line, t)| TextLine {
            line,
            text: t.to_owned(),
            labels: results
                .get(line - 1)
                .map(|(_, r)| split_labels(r, label_separator))
                .unwrap_or_default(),
        })
        .collect())
}

/// The result file of a text file: `abc.txt` → `abc_result.txt`.
pub fn result_file_for(text_file_name: &str) -> String {
    match text_file_name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}_result.{ext}"),
        None => format!("{text_file_name}_result"),
    }
}

/// `<path without extension>.<ext>`: the label file beside a file (a dot that starts
/// the name or sits in a directory is no extension).
pub fn beside(file: &str, ext: &str) -> String {
    let base = file.rfind('/').map_or(0, |i| i + 1);
    let stem = match file[base..].rfind('.') {
        Some(dot) if dot > 0 => &file[..base + dot],
        _ => file,
    };
    format!("{stem}.{ext}")
}

/// Whether a file is a `_result` label file.
pub fn is_result_file(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    stem.ends_with("_result")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_files_sit_beside_their_file() {
        assert_eq!(beside("/b/out/cat/1.jpg", "xml"), "/b/out/cat/1.xml");
        assert_eq!(beside("/b/out/a.b/noext", "txt"), "/b/out/a.b/noext.txt");
        assert_eq!(beside("/b/out/.hidden", "txt"), "/b/out/.hidden.txt");
        assert_eq!(beside("1.tar.jpg", "txt"), "1.tar.txt");
    }

    #[test]
    fn class_folders_and_label_files() {
        assert_eq!(class_folder_label("Rabbit/10.jpg"), Some("Rabbit"));
        assert_eq!(class_folder_label("a/b/Panda/1.jpg"), Some("Panda"));
        assert_eq!(class_folder_label("1.jpg"), None);
        assert_eq!(
            label_file_names("\u{feff}Rabbit Panda\nRabbit\r\n"),
            ["Rabbit", "Panda"]
        );
        assert!(label_file_names(" \n").is_empty());
    }

    #[test]
    fn text_formats_are_checked() {
        assert_eq!(
            parse_text_format(None, None, None),
            Ok(TextLayout::Combined(TextFormat::default()))
        );
        assert_eq!(
            parse_text_format(Some("1"), Some("\\t"), Some("|")),
            Ok(TextLayout::Combined(TextFormat {
                sample_separator: '\t',
                label_separator: '|'
            }))
        );
        assert_eq!(
            parse_text_format(Some("0"), None, None),
            Ok(TextLayout::ResultFiles(','))
        );
        for (t, s, l) in [
            (Some("2"), None, None),
            (None, Some("ab"), None),
            (None, Some("~"), None),
            (None, None, Some("")),
            (None, Some(","), Some(",")),
        ] {
            assert!(parse_text_format(t, s, l).is_err(), "{t:?} {s:?} {l:?}");
        }
    }

    #[test]
    fn combined_files_split_text_and_labels() {
        let f = TextFormat::default();
        let lines = combined_lines(
            "\u{feff}Good phone.\tpositive\r\nBad, slow.\tnegative,angry\n\nno label\n",
            &f,
        );
        assert_eq!(
            lines,
            [
                TextLine {
                    line: 1,
                    text: "Good phone.".into(),
                    labels: vec!["positive".into()]
                },
                TextLine {
                    line: 2,
                    text: "Bad, slow.".into(),
                    labels: vec!["negative".into(), "angry".into()]
                },
                TextLine {
                    line: 4,
                    text: "no label".into(),
                    labels: vec![]
                },
            ]
        );
    }

    #[test]
    fn result_files_label_lines_in_order() {
        let lines = result_file_lines("a\nb\nc\n", "positive\n\nnegative\n", ',').unwrap();
        let labels: Vec<Vec<String>> = lines.iter().map(|l| l.labels.clone()).collect();
        assert_eq!(
            labels,
            [
                vec!["positive".to_owned()],
                vec![],
                vec!["negative".to_owned()]
            ]
        );
        assert!(result_file_lines("a\n", "x\ny\n", ',').is_err());
        assert_eq!(result_file_for("COMMENTS_1.txt"), "COMMENTS_1_result.txt");
        assert!(is_result_file("COMMENTS_1_result.txt"));
        assert!(!is_result_file("COMMENTS_1.txt"));
    }
}
