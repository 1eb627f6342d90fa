// CWE names for the weaknesses reports name most often (the CWE Top 25 and their neighbours).
// CSAF 2.0's mandatory test 6.1.11 requires `vulnerabilities[].cwe.name` to be the catalog's name
// exactly, so an advisory carries `cwe` only for ids listed here (the CWE id always appears in the
// OSV record's `database_specific.cwe_ids`). Names as in CWE 4.20; the system test checks each one
// against the validator's catalog.
enum CWENames {
    static let table: [Int: String] = [
        20: "Improper Input Validation",
        22: "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
        77: "Improper Neutralization of Special Elements used in a Command ('Command Injection')",
        78: "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
        79: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
        89: "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
        94: "Improper Control of Generation of Code ('Code Injection')",
        119: "Improper Restriction of Operations within the Bounds of a Memory Buffer",
        120: "Buffer Copy without Checking Size of Input ('Classic Buffer Overflow')",
        121: "Stack-based Buffer Overflow",
        122: "Heap-based Buffer Overflow",
        125: "Out-of-bounds Read",
        190: "Integer Overflow or Wraparound",
        200: "Exposure of Sensitive Information to an Unauthorized Actor",
        269: "Improper Privilege Management",
        287: "Improper Authentication",
        295: "Improper Certificate Validation",
        306: "Missing Authentication for Critical Function",
        327: "Use of a Broken or Risky Cryptographic Algorithm",
        352: "Cross-Site Request Forgery (CSRF)",
        362: "Concurrent Execution using Shared Resource with Improper Synchronization ('Race Condition')",
        400: "Uncontrolled Resource Consumption",
        401: "Missing Release of Memory after Effective Lifetime",
        416: "Use After Free",
        434: "Unrestricted Upload of File with Dangerous Type",
        476: "NULL Pointer Dereference",
        502: "Deserialization of Untrusted Data",
        601: "URL Redirection to Untrusted Site ('Open Redirect')",
        611: "Improper Restriction of XML External Entity Reference",
        617: "Reachable Assertion",
        674: "Uncontrolled Recursion",
        770: "Allocation of Resources Without Limits or Throttling",
        787: "Out-of-bounds Write",
        798: "Use of Hard-coded Credentials",
        835: "Loop with Unreachable Exit Condition ('Infinite Loop')",
        843: "Access of Resource Using Incompatible Type ('Type Confusion')",
        862: "Missing Authorization",
        863: "Incorrect Authorization",
        918: "Server-Side Request Forgery (SSRF)",
        1321: "Improperly Controlled Modification of Object Prototype Attributes ('Prototype Pollution')",
        1333: "Inefficient Regular Expression Complexity",
    ]

    /// The catalog name of `CWE-n`, if listed.
    static func name(_ id: String) -> String? {
        guard id.uppercased().hasPrefix("CWE-"), let n = Int(id.dropFirst(4)) else { return nil }
        return table[n]
    }
}
