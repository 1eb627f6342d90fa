// Multiple-choice solving and scoring: builds the prompt (choices optionally shuffled with a recorded
// seed), extracts the answer letter from free-form model output, and maps it back to the original choice.
//
// Letter extraction rules, tried in order; the first rule that yields a valid letter wins:
//  1. An explicit answer statement, last one in the text: "ANSWER: B", "Answer - (b)", "The answer is C",
//     "final answer: **D**". After the statement an uppercase letter counts as a standalone token; a
//     lowercase one only when bracketed/bold or followed by `)`, `.` or the end (so "the answer is a
//     good one" is not read as A).
//  2. Bold markdown holding only a letter (optionally bracketed): "**B**", "**(C)**", "**D)**"; the last one.
//  3. Lines that begin with a letter label ("B)", "(B)", "B.", "B:"), when all such lines name the same
//     letter (a reply that lists every option is ambiguous and skips this rule).
//  4. The whole reply is a letter, allowing brackets, bold and a trailing period: "C", "(c)", "**C.**".
//  5. Fallback: the last standalone uppercase letter in range, skipping "A" and "I" when they read as the
//     article or pronoun (followed by a space and a lowercase word).
// Letters outside the sample's choices (e.g. "E" with four choices) never count.
import Foundation

public struct MultipleChoicePrompt: Sendable, Equatable, Codable {
    public var prompt: String
    /// order[displayPosition] = original choice index.
    public var order: [Int]
    /// The seed used for the shuffle, recorded with the sample; nil when not shuffled.
    public var seed: UInt64?
}

public enum MultipleChoice {
    public static func letter(_ index: Int) -> String {
        guard index >= 0, index < 26 else { return "?" }
        return String(UnicodeScalar(UInt8(65 + index)))
    }

    public static func index(ofLetter letter: String) -> Int? {
        guard letter.count == 1, let scalar = letter.uppercased().unicodeScalars.first, scalar.isASCII,
              scalar.value >= 65, scalar.value < 91 else { return nil }
        return Int(scalar.value) - 65
    }

    /// Builds the prompt. `shuffleSeed` (a per-sample seed, see SeededShuffle.sampleSeed) shuffles the choices.
    public static func prompt(for sample: Sample, shuffleSeed: UInt64? = nil) throws -> MultipleChoicePrompt {
        guard let choices = sample.choices, choices.count >= 2 else {
            throw BenchmarkError.invalidInput(location: "sample \(sample.id): choices", reason: "multiple choice needs at least two choices")
        }
        guard choices.count <= 26 else {
            throw BenchmarkError.invalidInput(location: "sample \(sample.id): choices", reason: "at most 26 choices can be lettered")
        }
        let order = shuffleSeed.map { SeededShuffle.permutation(count: choices.count, seed: $0) } ?? Array(choices.indices)
        let letters = (0..<choices.count).map(letter)
        let lines = order.enumerated().map { position, original in "\(letters[position])) \(choices[original])" }
        let prompt = """
        Answer the multiple choice question below. Finish your reply with a line of the form 'ANSWER: X' \
        where X is one of \(letters.joined(separator: ", ")).

        \(sample.input.lastUserText)

        \(lines.joined(separator: "\n"))
        """
        return MultipleChoicePrompt(prompt: prompt, order: order, seed: shuffleSeed)
    }

    /// The letter the output chose (as displayed), or nil when no rule finds one.
    public static func extractLetter(from output: String, choiceCount: Int) -> String? {
        guard choiceCount > 0 else { return nil }
        let maxLetter = letter(min(choiceCount, 26) - 1)
        let range = "A-\(maxLetter)"
        let lowerRange = range.lowercased()
        func valid(_ candidate: String) -> String? {
            let upper = candidate.uppercased()
            guard let index = index(ofLetter: upper), index < choiceCount else { return nil }
            return upper
        }
        func lastCapture(_ pattern: String, options: NSRegularExpression.Options = []) -> String? {
            guard let regex = try? RegexCache.regex(pattern, options: options) else { return nil }
            let ns = output as NSString
            let matches = regex.matches(in: output, range: NSRange(location: 0, length: ns.length))
            for match in matches.reversed() {
                for group in 1..<match.numberOfRanges {
                    let r = match.range(at: group)
                    if r.location != NSNotFound, let letter = valid(ns.substring(with: r)) { return letter }
                }
            }
            return nil
        }

        // The reply the template asks for, "ANSWER: X" and nothing else: what rule 1 finds in it,
        // without running the regular expressions (they were most of the scorer's time per sample).
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("ANSWER:") {
            let rest = trimmed.dropFirst("ANSWER:".count).drop { $0 == " " || $0 == "\t" }
            if rest.count == 1, let only = rest.unicodeScalars.first, ("A"..."Z").contains(only), let letter = valid(String(rest)) { return letter }
        }

        // Rule 1: explicit answer statement.
        let statement = #"(?i:answer)\s*(?:(?i:is)\s*[:\-]?|[:\-])\s*"#
        let rule1 = statement + #"(?:"# +
            #"[\*_]*[\(\[]\s*([\#(range)\#(lowerRange)])\s*[\)\]]"# +          // (b) / [B]
            #"|[\*_]+([\#(range)\#(lowerRange)])[\*_]+"# +                       // **b**
            #"|([\#(range)])(?![A-Za-z0-9])"# +                                 // B (standalone uppercase)
            #"|([\#(lowerRange)])(?=\)|\.|\s*$)"# +                             // b) / b. / b at end
            #")"#
        if let found = lastCapture(rule1, options: [.anchorsMatchLines]) { return found }

        // Rule 2: bold markdown holding only a letter.
        if let found = lastCapture(#"\*\*\s*[\(\[]?([\#(range)\#(lowerRange)])[\)\]\.:]?\s*\*\*"#) { return found }

        // Rule 3: lines starting with a letter label, all naming the same letter.
        if let regex = try? RegexCache.regex(#"^\s*[\(\[]?([\#(range)])[\)\]\.:](?:\s|$)"#, options: [.anchorsMatchLines]) {
            let ns = output as NSString
            let letters = Set(regex.matches(in: output, range: NSRange(location: 0, length: ns.length)).compactMap { match -> String? in
                valid(ns.substring(with: match.range(at: 1)))
            })
            if letters.count == 1, let only = letters.first { return only }
        }

        // Rule 4: the reply is just a letter.
        let stripped = output.trimmingCharacters(in: .whitespacesAndNewlines)
            .trimmingCharacters(in: CharacterSet(charactersIn: "*_()[]. \n\t:"))
        if stripped.count == 1, let found = valid(stripped) { return found }

        // Rule 5: last standalone uppercase letter, not an article/pronoun.
        if let regex = try? RegexCache.regex(#"(?<![A-Za-z0-9'])([\#(range)])(?![A-Za-z0-9'])"#) {
            let ns = output as NSString
            for match in regex.matches(in: output, range: NSRange(location: 0, length: ns.length)).reversed() {
                let candidate = ns.substring(with: match.range(at: 1))
                if candidate == "A" || candidate == "I" {
                    let after = match.range.location + match.range.length
                    let rest = ns.substring(from: after)
                    if rest.range(of: #"^ [a-z]"#, options: .regularExpression) != nil { continue }
                }
                if let found = valid(candidate) { return found }
            }
        }
        return nil
    }

    /// Scores one reply: correct when the chosen letter, mapped back through the shuffle, is a target.
    /// Targets are letters of the original (unshuffled) order, as in Inspect; a target may also be the
    /// text of the correct choice.
    public static func score(sample: Sample, prompt: MultipleChoicePrompt, output: String) -> Score {
        let choices = sample.choices ?? []
        guard let shown = extractLetter(from: output, choiceCount: choices.count),
              let position = index(ofLetter: shown), prompt.order.indices.contains(position) else {
            return Score(value: 0, answer: nil, explanation: "no answer letter found")
        }
        let original = prompt.order[position]
        let originalLetter = letter(original)
        let correct = sample.target.contains { target in
            let trimmed = target.trimmingCharacters(in: .whitespaces)
            return trimmed.uppercased() == originalLetter || trimmed == choices[original]
        }
        return Score(value: correct ? 1 : 0, answer: originalLetter,
                     explanation: "replied \(shown), which is original choice \(originalLetter)")
    }
}
