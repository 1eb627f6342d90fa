// Reading and printing the very large numbers this module deals in (10^9 parameters, 10^25 FLOP).
// People write them as `70e9` or `7.0e10`; a figure with a unit or suffix attached ("1e25 FLOP",
// "70B") is rejected rather than guessed at, because a wrong guess moves a model across a threshold.

import Foundation

public enum FrontierNumber {
    /// Parses a plain decimal or scientific number ("70e9", "7.0e10", "1.5E+25", "405000000000").
    /// Returns nil for anything else, including suffixes, units, infinities and NaN.
    public static func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard isPlainNumber(trimmed), let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }

    /// Parses a command-line or file value, naming `field` (a flag like `--parameters` or a JSON
    /// path) in the error. Distinguishes a number with units from plain garbage because the fix
    /// the user needs differs.
    public static func parse(_ text: String, field: String) throws -> Double {
        if let value = parse(text) { return value }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let prefix = leadingNumber(trimmed), !prefix.isEmpty {
            throw FrontierError.wrongUnits(
                path: field,
                reason: "\"\(text)\" carries a unit or suffix; give a plain number such as 70e9 or 7.0e10 (the unit is implied by the field)")
        }
        throw FrontierError.wrongType(path: field, expected: "a number such as 70e9 or 7.0e10, got \"\(text)\"")
    }

    /// Scientific notation with three significant digits, the form used in every explanation.
    public static func scientific(_ value: Double) -> String {
        String(format: "%.2e", value)
    }

    /// A ratio printed for people: "3.80" or "0.00012" style, never rounding a small ratio to 0.
    public static func ratio(_ value: Double) -> String {
        if value == 0 { return "0" }
        if value >= 0.01 && value < 1000 { return String(format: "%.3g", value) }
        return String(format: "%.2e", value)
    }

    private static func isPlainNumber(_ s: String) -> Bool {
        var chars = Array(s.unicodeScalars)
        guard !chars.isEmpty else { return false }
        if chars[0] == "+" || chars[0] == "-" { chars.removeFirst() }
        var i = 0
        var mantissaDigits = 0
        while i < chars.count, CharacterSet.decimalDigits.contains(chars[i]), chars[i].isASCII { i += 1; mantissaDigits += 1 }
        if i < chars.count, chars[i] == "." {
            i += 1
            while i < chars.count, chars[i].isASCII, CharacterSet.decimalDigits.contains(chars[i]) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return false }
        if i < chars.count, chars[i] == "e" || chars[i] == "E" {
            i += 1
            if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
            var exponentDigits = 0
            while i < chars.count, chars[i].isASCII, CharacterSet.decimalDigits.contains(chars[i]) { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return false }
        }
        return i == chars.count
    }

    /// The longest numeric-looking prefix, used only to tell "1e25 FLOP" (units) from "abc".
    private static func leadingNumber(_ s: String) -> String? {
        let allowed = Set("0123456789.eE+-")
        let prefix = String(s.prefix { allowed.contains($0) })
        return prefix.contains(where: \.isNumber) ? prefix : nil
    }
}
