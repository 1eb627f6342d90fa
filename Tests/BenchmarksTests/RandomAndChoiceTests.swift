// The seeded PRNG, choice shuffling, and answer-letter extraction from real-looking model replies.
import Foundation
import Platform
import Testing
@testable import Benchmarks

struct SeededRandomTests {
    @Test func splitMixMatchesTheReferenceSequence() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func shufflesAreReproducibleAndArePermutations() {
        let a = SeededShuffle.permutation(count: 10, seed: 42)
        #expect(a == SeededShuffle.permutation(count: 10, seed: 42))
        #expect(a.sorted() == Array(0..<10))
        #expect(a != Array(0..<10))
        // Different seeds give different orders for most seeds.
        let distinct = Set((0..<20).map { SeededShuffle.permutation(count: 6, seed: UInt64($0)) })
        #expect(distinct.count > 15)
    }

    @Test func indicesAreUniform() {
        var rng = Xoshiro256StarStar(seed: 1)
        var counts = [0, 0, 0, 0]
        for _ in 0..<40_000 { counts[rng.nextIndex(below: 4)] += 1 }
        // Each expected 10,000; 5 standard deviations is about ±430.
        #expect(counts.allSatisfy { abs($0 - 10_000) < 450 })
    }
}

struct MultipleChoiceTests {
    func extract(_ text: String, _ count: Int = 4) -> String? { MultipleChoice.extractLetter(from: text, choiceCount: count) }

    @Test func explicitStatements() {
        #expect(extract("Let me think.\nANSWER: B") == "B")
        #expect(extract("The answer is (c).") == "C")
        #expect(extract("answer: d") == "D")
        #expect(extract("Final answer: **A**") == "A")
        #expect(extract("ANSWER: A\n\nOn reflection, ANSWER: C") == "C")
        // "a" after "answer is" is an article, not option A; rule 5 then finds the real letter.
        #expect(extract("The answer is a tricky one, but I pick D") == "D")
    }

    @Test func theTemplatesOwnReplyShapeReadsAsTheRulesReadIt() {
        #expect(extract("ANSWER: B") == "B")
        #expect(extract("  ANSWER:D\n") == "D")
        #expect(extract("ANSWER: \tC") == "C")
        // A letter beyond the choices is not taken from the short form; the rules decide.
        #expect(extract("ANSWER: C", 2) == nil)
        #expect(extract("ANSWER: AB") == nil)
    }

    @Test func boldLabelsAndBareLetters() {
        #expect(extract("I would go with **(B)** here.") == "B")
        #expect(extract("B) Use parameterised queries") == "B")
        #expect(extract("  (c)  ") == "C")
        #expect(extract("**D.**") == "D")
    }

    @Test func listingEveryOptionIsNotAnAnswer() {
        // All options listed (rule 3 skipped); the fallback takes the last standalone capital in range.
        let reply = "A) first\nB) second\nC) third\nD) fourth\nI think it is C"
        #expect(extract(reply) == "C")
        #expect(extract("A) first\nB) second") == "B")  // documented: last-letter fallback
    }

    @Test func articlesAndOutOfRangeLettersAreIgnored() {
        #expect(extract("A good answer would be B") == "B")
        #expect(extract("I am not sure.") == nil)
        #expect(extract("ANSWER: E") == nil)  // only four choices
        #expect(extract("ANSWER: E", 5) == "E")
        #expect(extract("") == nil)
    }

    @Test func shuffledChoicesMapBackToTheOriginal() throws {
        let sample = Sample(id: "q1", input: .text("Which port does HTTPS use by default?"), target: ["C"],
                            choices: ["21", "80", "443", "8080"])
        let seed = SeededShuffle.sampleSeed(runSeed: 7, sampleID: sample.id)
        let prompt = try MultipleChoice.prompt(for: sample, shuffleSeed: seed)
        #expect(prompt.order.sorted() == [0, 1, 2, 3])
        // Find where "443" (original C) is displayed and answer with that letter.
        let position = try #require(prompt.order.firstIndex(of: 2))
        let shownLetter = MultipleChoice.letter(position)
        #expect(prompt.prompt.contains("\(shownLetter)) 443"))
        let right = MultipleChoice.score(sample: sample, prompt: prompt, output: "ANSWER: \(shownLetter)")
        #expect(right.value == 1)
        #expect(right.answer == "C")
        let wrongPosition = (position + 1) % 4
        let wrong = MultipleChoice.score(sample: sample, prompt: prompt, output: "ANSWER: \(MultipleChoice.letter(wrongPosition))")
        #expect(wrong.value == 0)
        // Same seed, same prompt: a resumed run shows the model the same order.
        #expect(try MultipleChoice.prompt(for: sample, shuffleSeed: seed) == prompt)
    }

    @Test func fixedLetterOnCyclingTargetsScoresAQuarter() throws {
        let samples = (0..<100).map { i in
            Sample(id: "s\(i)", input: .text("Q\(i)"), target: [MultipleChoice.letter(i % 4)], choices: ["w", "x", "y", "z"])
        }
        let scores = try samples.map { sample in
            MultipleChoice.score(sample: sample, prompt: try MultipleChoice.prompt(for: sample), output: "ANSWER: A").value
        }
        let mean = Statistics.mean(scores)
        #expect(mean == 0.25)
        #expect(Statistics.wilson(successes: mean * 100, trials: 100).contains(0.25))
    }

    @Test func promptNeedsChoices() {
        #expect(throws: BenchmarkError.self) { try MultipleChoice.prompt(for: Sample(id: "x", input: .text("q"))) }
    }
}
