import Foundation

/// How CSV columns become features, label and group.
public struct TableOptions: Sendable {
    /// The label column (default `label`; when that is absent, a column named so in another case).
    public var labelColumn: String = "label"
    /// Columns dropped besides the automatic ones.
    public var ignoreColumns: Set<String> = []
    /// The group column for grouped cross-validation; nil: `capture` when present, else the file.
    public var groupColumn: String? = nil
    /// Evaluation and training need labels; prediction-only use does not.
    public var requireLabels: Bool = true

    public init(labelColumn: String = "label", ignoreColumns: Set<String> = [], groupColumn: String? = nil,
                requireLabels: Bool = true) {
        self.labelColumn = labelColumn; self.ignoreColumns = ignoreColumns; self.groupColumn = groupColumn
        self.requireLabels = requireLabels
    }
}

/// Loads CSV tables (scikit-learn / pandas style, or `streamprobe features` output) into a `TrainingTable`.
///
/// Rules: the first line names the columns. Dropped: an unnamed leading column (pandas' row index:
/// a row number is not a feature), the metadata columns of `streamprobe features`
/// (`capture, unit, window_index, start_s, end_s, start_epoch, end_epoch, packets, skipped`),
/// `--ignore-column`s, and any column with a value that is not a number (each noted). Empty cells and
/// `nan`/`NaN`/`NA` are missing values (NaN). Several files must share the feature columns (by name).
public enum TableLoader {
    public static let metadataColumns: [String] = [
        "capture", "unit", "window_index", "start_s", "end_s", "start_epoch", "end_epoch", "packets", "skipped",
    ]

    public struct Loaded: Sendable {
        public var table: TrainingTable
        /// Remarks for stderr: ignored columns and why.
        public var notes: [String]
    }

    public static func load(paths: [String], options: TableOptions = TableOptions()) throws(TableError) -> Loaded {
        guard !paths.isEmpty else { throw TableError(source: "streamprobe", problem: "no input tables given") }
        var tables: [TrainingTable] = []
        var notes: [String] = []
        for path in paths {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                let exists = FileManager.default.fileExists(atPath: path)
                throw TableError(source: path, problem: exists ? "cannot be read" : "no such file")
            }
            let loaded = try parse(String(decoding: data, as: UTF8.self), source: path,
                                   defaultGroup: URL(fileURLWithPath: path).lastPathComponent, options: options)
            if let first = tables.first {
                let (aligned, missing) = loaded.table.selecting(first.featureNames)
                guard let aligned else {
                    throw TableError(source: path, problem: "lacks feature column(s) \(missing.joined(separator: ", ")) that \(paths[0]) has")
                }
                let extra = Set(loaded.table.featureNames).subtracting(first.featureNames)
                if !extra.isEmpty { notes.append("\(path): ignored column(s) not in \(paths[0]): \(extra.sorted().joined(separator: ", "))") }
                tables.append(aligned)
            } else {
                tables.append(loaded.table)
            }
            notes += loaded.notes
        }
        return Loaded(table: TrainingTable.concatenate(tables)!, notes: notes)
    }

    /// Parses one CSV text. `defaultGroup` is every row's group when there is no group column.
    public static func parse(_ text: String, source: String, defaultGroup: String? = nil,
                             options: TableOptions = TableOptions()) throws(TableError) -> Loaded {
        var records = CSVReader.records(text)
        while let last = records.last, last.allSatisfy({ $0.isEmpty }) { records.removeLast() }
        guard let header = records.first else { throw TableError(source: source, problem: "is empty") }
        let body = records.dropFirst()
        guard !body.isEmpty else { throw TableError(source: source, problem: "has a header but no rows") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        for (i, r) in body.enumerated() where r.count != names.count {
            throw TableError(source: source, problem: "line \(i + 2) has \(r.count) fields, the header has \(names.count)")
        }
        var notes: [String] = []
        var labelIndex = names.firstIndex(of: options.labelColumn)
        if labelIndex == nil {
            labelIndex = names.firstIndex { $0.lowercased() == options.labelColumn.lowercased() }
        }
        if labelIndex == nil && options.requireLabels {
            throw TableError(source: source, problem: "no label column \"\(options.labelColumn)\" (columns: \(names.joined(separator: ", "))); name it with --label-column")
        }
        var groupIndex: Int? = nil
        if let g = options.groupColumn {
            guard let i = names.firstIndex(of: g) else {
                throw TableError(source: source, problem: "no group column \"\(g)\" (columns: \(names.joined(separator: ", ")))")
            }
            groupIndex = i
        } else if let i = names.firstIndex(of: "capture") {
            groupIndex = i
        }
        var featureColumns: [Int] = []
        var nonNumeric: [String] = [], metadata: [String] = []
        for (i, name) in names.enumerated() where i != labelIndex && i != groupIndex {
            if i == 0 && (name.isEmpty || name.hasPrefix("Unnamed: ")) {
                notes.append("\(source): ignored the unnamed first column (a row index, not a feature)")
                continue
            }
            if options.ignoreColumns.contains(name) { continue }
            if metadataColumns.contains(name) { metadata.append(name); continue }
            if name.isEmpty { notes.append("\(source): ignored column \(i + 1), which has no name"); continue }
            if body.allSatisfy({ parseNumber($0[i]) != nil }) { featureColumns.append(i) } else { nonNumeric.append(name) }
        }
        if !metadata.isEmpty { notes.append("\(source): metadata column(s) not used as features: \(metadata.joined(separator: ", "))") }
        if !nonNumeric.isEmpty { notes.append("\(source): ignored non-numeric column(s): \(nonNumeric.joined(separator: ", "))") }
        guard !featureColumns.isEmpty else { throw TableError(source: source, problem: "has no numeric feature columns") }
        var rows: [Double] = []
        rows.reserveCapacity(body.count * featureColumns.count)
        var labels: [String] = [], groups: [String] = []
        for (line, r) in body.enumerated() {
            var label = ""
            if let li = labelIndex {
                label = r[li].trimmingCharacters(in: .whitespaces)
                if label.isEmpty { throw TableError(source: source, problem: "line \(line + 2) has no label") }
            }
            for c in featureColumns { rows.append(parseNumber(r[c])!) }
            labels.append(label)
            groups.append(groupIndex.map { r[$0] } ?? defaultGroup ?? source)
        }
        let featureNames = featureColumns.map { names[$0] }
        if let dup = ModelValidator.firstDuplicate(featureNames) {
            throw TableError(source: source, problem: "has two columns named \"\(dup)\"")
        }
        return Loaded(table: TrainingTable(featureNames: featureNames, rows: rows, labels: labels, groups: groups), notes: notes)
    }

    /// A number, NaN for a missing value, nil for text.
    static func parseNumber(_ field: String) -> Double? {
        let s = field.trimmingCharacters(in: .whitespaces)
        switch s {
        case "", "nan", "NaN", "NAN", "NA", "N/A", "null", "None": return .nan
        default: return Double(s)
        }
    }
}

/// A small RFC 4180 reader: commas, double-quoted fields with doubled quotes, CRLF or LF.
enum CSVReader {
    static func records(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false, afterQuote = false
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func take() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return chars.next()
        }
        while let c = take() {
            if quoted {
                if c == "\"" {
                    if let n = take() {
                        if n == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; afterQuote = true; pending = n }
                    } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !afterQuote: quoted = true
            case ",": record.append(field); field = ""; afterQuote = false
            case "\r": continue
            case "\n":
                record.append(field); records.append(record); record = []; field = ""; afterQuote = false
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
