import Foundation

/// Helpers that read the generated markup the way a strict parser would.

/// Elements that never have a closing tag in HTML.
let voidElements: Set<String> = ["meta", "img", "br", "hr", "link", "input"]

/// Checks that every opening tag in `markup` is closed in order, like an XML parser would
/// (self-closing `<x/>`, void HTML elements, `<!DOCTYPE>` and text inside `<style>` excepted).
/// Returns the first problem found, or nil.
func firstTagProblem(in markup: String) -> String? {
    var stack: [String] = []
    var rest = Substring(markup)
    while let open = rest.firstIndex(of: "<") {
        guard let close = rest[open...].firstIndex(of: ">") else { return "unterminated tag" }
        let tag = rest[rest.index(after: open)..<close]
        rest = rest[rest.index(after: close)...]
        if tag.hasPrefix("!") { continue }
        if tag.hasPrefix("/") {
            let name = String(tag.dropFirst())
            guard let last = stack.popLast() else { return "</\(name)> closes nothing" }
            if last != name { return "</\(name)> closes <\(last)>" }
            continue
        }
        let name = String(tag.prefix { $0 != " " && $0 != "/" && $0 != "\n" })
        if tag.hasSuffix("/") || voidElements.contains(name) { continue }
        if name == "style" {  // CSS may hold ">" but never "<"
            guard let end = rest.range(of: "</style>") else { return "unclosed <style>" }
            rest = rest[end.upperBound...]
            continue
        }
        stack.append(name)
    }
    return stack.isEmpty ? nil : "unclosed <\(stack.last!)>"
}

/// Every `<svg ...>...</svg>` fragment of `html`.
func svgFragments(in html: String) -> [Substring] {
    var fragments: [Substring] = []
    var rest = html[...]
    while let start = rest.range(of: "<svg"), let end = rest[start.lowerBound...].range(of: "</svg>") {
        fragments.append(rest[start.lowerBound..<end.upperBound])
        rest = rest[end.upperBound...]
    }
    return fragments
}

/// The text of the `<section id="id">` of `html`, empty when there is none.
func section(_ id: String, in html: String) -> Substring {
    guard let start = html.range(of: "<section id=\"\(id)\">"),
          let end = html[start.upperBound...].range(of: "</section>") else { return "" }
    return html[start.lowerBound..<end.upperBound]
}

func occurrences(of needle: String, in haystack: some StringProtocol) -> Int {
    haystack.components(separatedBy: needle).count - 1
}

import Testing

@Test func tagCheckerCatchesBrokenMarkup() {
    #expect(firstTagProblem(in: "<svg><g><circle/></g></svg>") == nil)
    #expect(firstTagProblem(in: "<svg><g></svg>") == "</svg> closes <g>")
    #expect(firstTagProblem(in: "<div><p>text</p>") == "unclosed <div>")
    #expect(firstTagProblem(in: "<p><img src=\"x\"><br></p>") == nil)
}
