public import Foundation
#if canImport(FoundationXML)
public import FoundationXML
#endif

/// A parsed page: every element with its attributes and text, in document order. The pages are written as
/// well-formed XML, so Foundation's parser reads them; a page it cannot parse fails the test.
public final class ParsedPage: NSObject, XMLParserDelegate {
    /// One element: its name, attributes, all the text inside it, and the names of its ancestors.
    public struct Element: Sendable {
        public var name: String
        public var attributes: [String: String]
        public var text = ""
        public var path: [String]
    }

    public private(set) var elements: [Element] = []
    private var open: [Int] = []
    private var error: (any Error)?

    /// Parses `html`; throws when it is not well-formed.
    public init(_ html: String) throws {
        super.init()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = self
        if !parser.parse() { throw parser.parserError ?? error ?? TestFailure("the page is not well-formed") }
    }

    public func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(Element(name: name, attributes: attributes, path: open.map { elements[$0].name }))
        open.append(elements.count - 1)
    }

    public func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    public func parser(_ parser: XMLParser, foundCharacters string: String) {
        for index in open { elements[index].text += string }
    }

    /// Elements named `name`, optionally only those with class `cssClass`.
    public func all(_ name: String, class cssClass: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (cssClass == nil || ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cssClass!))) }
    }
}
