//! A [`Table`] written as CSV or as an XLSX workbook, Chinese labels intact.

use rust_xlsxwriter::{Format, Workbook};

use onsite_store::report::{Cell, Table};

/// CSV in UTF-8 with a byte-order mark: without it, spreadsheet programs on Chinese
/// Windows read the file as GBK and the labels come out garbled.
pub fn csv(table: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.columns)?;
        for row in &table.rows {
            w.write_record(row.iter().map(cell_text))?;
        }
        w.flush()?;
    }
    Ok(out)
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => neutralised(s),
        Cell::Int(v) => v.to_string(),
        Cell::Num(v) => v.to_string(),
        Cell::Empty => String::new(),
    }
}

/// Text that a spreadsheet would run as a formula (a customer named `=HYPERLINK(…)`, a
/// note `@SUM(…)`) gets a leading apostrophe, which spreadsheets show as text; numbers are
/// written as numbers and never touched. (The XLSX export writes text as strings, which
/// are never formulas.)
fn neutralised(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// One worksheet named after the table, a bold header row, numbers stored as numbers.
pub fn xlsx(table: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let title: String = table
        .title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    sheet.set_name(if title.is_empty() { "report" } else { &title })?;
    let bold = Format::new().set_bold();
    for (c, label) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, label, &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Int(v) => {
                    sheet.write_number(r, c, *v as f64)?;
                }
                Cell::Num(v) => {
                    sheet.write_number(r, c, *v)?;
                }
                Cell::Empty => {}
            }
        }
    }
    sheet.autofit();
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    fn table() -> Table {
        Table {
            title: "满意度 satisfaction".into(),
            columns: vec!["技术员 technician".into(), "满意度 degree %".into()],
            rows: vec![
                vec!["王师傅".into(), Cell::Num(76.0)],
                vec!["li, \"quoted\"".into(), Cell::Empty],
            ],
        }
    }

    #[test]
    fn xlsx_reads_back_with_chinese_labels_and_numbers() {
        let bytes = xlsx(&table()).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("满意度 satisfaction").unwrap();
        assert_eq!(
            sheet.get_value((0, 0)),
            Some(&Data::String("技术员 technician".into()))
        );
        assert_eq!(
            sheet.get_value((1, 0)),
            Some(&Data::String("王师傅".into()))
        );
        assert_eq!(sheet.get_value((1, 1)), Some(&Data::Float(76.0)));
    }

    #[test]
    fn csv_keeps_labels_and_quotes() {
        let bytes = csv(&table()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("技术员 technician,满意度 degree %"));
        assert!(text.contains("王师傅,76"));
        assert!(text.contains("\"li, \"\"quoted\"\"\","));
    }

    #[test]
    fn csv_text_that_would_be_a_formula_is_written_as_text() {
        let table = Table {
            title: "t".into(),
            columns: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"http://x\")".into()), Cell::Int(-5)],
                vec![Cell::Text("+86 138".into()), Cell::Text("@SUM(A1)".into())],
                vec![Cell::Text("-1+1".into()), Cell::Text("王 = 李".into())],
            ],
        };
        let text = String::from_utf8(csv(&table).unwrap()).unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(
            lines,
            [
                "a,b",
                "\"'=HYPERLINK(\"\"http://x\"\")\",-5",
                "'+86 138,'@SUM(A1)",
                "'-1+1,王 = 李"
            ]
        );
    }
}
