package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file is a small lexer and parser for the parts of a C header that the
// generator needs: enum definitions and object-like #define macros. It is not
// a C compiler: it skips everything else (structs, includes, conditionals) and
// evaluates integer constant expressions made of literals, earlier enumerators
// and earlier macros with the operators ( ) + - ~ ! * / % << >> & ^ |.
//
// Macros are evaluated where they are defined, using the enumerators and
// macros seen before them; a macro that cannot be evaluated there is kept
// with its error, which is reported only if the generator needs its value.

// A cHeader is what parseHeader found in a header.
type cHeader struct {
	Enums   []cEnum
	Defines []cDefine
}

// A cEnum is one enum definition.
type cEnum struct {
	Tag    string // "" for an anonymous enum
	Line   int    // line of the enum keyword
	Values []cEnumerator
}

// A cEnumerator is one entry of an enum.
type cEnumerator struct {
	Name    string
	Value   int64
	Line    int
	Doc     string // comments on the lines before the entry
	Comment string // comments on the entry's own lines
}

// defineKind says what a macro's value is.
type defineKind int

const (
	defineOther  defineKind = iota // empty, function-like, or not evaluable (Err says why)
	defineInt                      // an integer constant expression
	defineString                   // a string literal
)

// A cDefine is one #define.
type cDefine struct {
	Name string
	Line int
	Kind defineKind
	Int  int64
	Str  string
	Raw  string // the replacement text, comments removed
	Err  error  // for defineOther: why the value could not be evaluated
}

// enumerator returns the enumerator called name, if any.
func (h *cHeader) enumerator(name string) (cEnumerator, bool) {
	for _, e := range h.Enums {
		for _, v := range e.Values {
			if v.Name == name {
				return v, true
			}
		}
	}
	return cEnumerator{}, false
}

// define returns the macro called name, if any.
func (h *cHeader) define(name string) (cDefine, bool) {
	for _, d := range h.Defines {
		if d.Name == name {
			return d, true
		}
	}
	return cDefine{}, false
}

type tokKind int

const (
	tokIdent tokKind = iota
	tokNumber
	tokString
	tokChar
	tokPunct
	tokComment
	tokDirective
)

type cToken struct {
	kind tokKind
	text string // for tokComment: the comment's text without its markers
	line int
	end  int // last line of the token (comments and directives may span lines)
}

// lex splits src into tokens. A preprocessor directive becomes one token
// holding its text, with line continuations joined and comments removed.
func lex(src string) ([]cToken, error) {
	var toks []cToken
	line := 1
	lineStart := true // only whitespace since the start of the line
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			lineStart = true
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			line++
			i += 2
			continue
		}
		start := line
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", start)
			}
			body := src[i+2 : i+2+j]
			line += strings.Count(body, "\n")
			toks = append(toks, cToken{kind: tokComment, text: cleanComment(body), line: start, end: line})
			i += j + 4
			continue // a comment does not end lineStart: "/* x */ #define" is rare but legal
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			toks = append(toks, cToken{kind: tokComment, text: strings.TrimSpace(src[i+2 : i+j]), line: start, end: start})
			i += j
			continue
		case c == '#' && lineStart:
			text, n, nl, err := lexDirective(src[i+1:], start)
			if err != nil {
				return nil, err
			}
			line += nl
			toks = append(toks, cToken{kind: tokDirective, text: text, line: start, end: line})
			i += 1 + n
			continue
		}
		lineStart = false
		switch {
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, cToken{kind: tokIdent, text: src[i:j], line: start, end: start})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && (isIdentChar(src[j]) || src[j] == '.') {
				j++
			}
			toks = append(toks, cToken{kind: tokNumber, text: src[i:j], line: start, end: start})
			i = j
		case c == '"' || c == '\'':
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\n' {
					return nil, fmt.Errorf("line %d: unterminated literal", start)
				}
				if src[j] == '\\' {
					j++
				}
			}
			if j >= len(src) {
				return nil, fmt.Errorf("line %d: unterminated literal", start)
			}
			k := tokString
			if c == '\'' {
				k = tokChar
			}
			toks = append(toks, cToken{kind: k, text: src[i : j+1], line: start, end: start})
			i = j + 1
		default:
			n := 1
			if i+1 < len(src) {
				switch src[i : i+2] {
				case "<<", ">>", "&&", "||", "==", "!=", "<=", ">=", "->", "++", "--":
					n = 2
				}
			}
			if c < 0x20 || c >= 0x7f {
				return nil, fmt.Errorf("line %d: unexpected byte %#02x", start, c)
			}
			toks = append(toks, cToken{kind: tokPunct, text: src[i : i+n], line: start, end: start})
			i += n
		}
	}
	return toks, nil
}

// lexDirective reads a preprocessor directive after its '#'. It returns the
// directive's text with comments removed and continuations joined, the number
// of bytes consumed (up to, not including, the ending newline) and the number
// of newlines consumed.
func lexDirective(src string, line int) (text string, n, newlines int, err error) {
	var b strings.Builder
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			return strings.TrimSpace(b.String()), i, newlines, nil
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			b.WriteByte(' ')
			newlines++
			i += 2
		case c == '\\' && i+2 < len(src) && src[i+1] == '\r' && src[i+2] == '\n':
			b.WriteByte(' ')
			newlines++
			i += 3
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return "", 0, 0, fmt.Errorf("line %d: unterminated comment", line+newlines)
			}
			newlines += strings.Count(src[i+2:i+2+j], "\n")
			b.WriteByte(' ')
			i += j + 4
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			i += j
		case c == '"' || c == '\'':
			j := i + 1
			for ; j < len(src) && src[j] != c && src[j] != '\n'; j++ {
				if src[j] == '\\' {
					j++
				}
			}
			if j >= len(src) || src[j] != c {
				return "", 0, 0, fmt.Errorf("line %d: unterminated literal", line+newlines)
			}
			b.WriteString(src[i : j+1])
			i = j + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return strings.TrimSpace(b.String()), i, newlines, nil
}

// cleanComment turns the inside of a block comment into plain text: each
// line trimmed, a leading '*' removed, lines joined by one space.
func cleanComment(body string) string {
	var parts []string
	for l := range strings.SplitSeq(body, "\n") {
		l = strings.TrimSpace(l)
		l = strings.TrimSpace(strings.TrimLeft(l, "*"))
		if l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// headerParser holds the state of parseHeader.
type headerParser struct {
	toks []cToken
	pos  int
	h    *cHeader
	syms map[string]int64 // enumerators and integer macros seen so far
	seen map[string]int   // names of enumerators and macros -> line, for duplicates
}

// parseHeader parses the enums and macros of a C header.
func parseHeader(src string) (*cHeader, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &headerParser{toks: toks, h: &cHeader{}, syms: map[string]int64{}, seen: map[string]int{}}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p.h, nil
}

func (p *headerParser) parse() error {
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		switch {
		case t.kind == tokDirective:
			p.pos++
			if err := p.directive(t); err != nil {
				return err
			}
		case t.kind == tokIdent && t.text == "enum":
			p.pos++
			if err := p.enum(t.line); err != nil {
				return err
			}
		default:
			p.pos++
		}
	}
	return nil
}

// next returns the next token that is not a comment, and advances past it.
func (p *headerParser) next() (cToken, bool) {
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		p.pos++
		if t.kind != tokComment {
			return t, true
		}
	}
	return cToken{}, false
}

// peek returns the next token that is not a comment without advancing.
func (p *headerParser) peek() (cToken, bool) {
	for i := p.pos; i < len(p.toks); i++ {
		if p.toks[i].kind != tokComment {
			return p.toks[i], true
		}
	}
	return cToken{}, false
}

func (p *headerParser) lastLine() int {
	if len(p.toks) == 0 {
		return 1
	}
	return p.toks[len(p.toks)-1].end
}

func (p *headerParser) directive(t cToken) error {
	text := t.text
	word, rest := text, ""
	if i := strings.IndexAny(text, " \t("); i >= 0 {
		word, rest = text[:i], text[i:]
	}
	if word != "define" {
		return nil // include, ifndef, endif, pragma...: nothing the generator needs
	}
	rest = strings.TrimLeft(rest, " \t")
	j := 0
	for j < len(rest) && isIdentChar(rest[j]) {
		j++
	}
	if j == 0 || !isIdentStart(rest[0]) {
		return fmt.Errorf("line %d: #define without a macro name", t.line)
	}
	d := cDefine{Name: rest[:j], Line: t.line}
	body := rest[j:]
	if prev, ok := p.seen[d.Name]; ok {
		return fmt.Errorf("line %d: %s already defined on line %d", t.line, d.Name, prev)
	}
	p.seen[d.Name] = t.line
	if strings.HasPrefix(body, "(") {
		d.Raw = strings.Join(strings.Fields(body), " ")
		d.Err = fmt.Errorf("line %d: %s is a function-like macro", t.line, d.Name)
		p.h.Defines = append(p.h.Defines, d)
		return nil
	}
	d.Raw = strings.Join(strings.Fields(body), " ") // for messages; the value is lexed from body
	toks, err := lex(body)
	if err != nil {
		// Cannot happen for text that lexDirective produced, but keep the
		// error rather than trust that.
		d.Err = fmt.Errorf("line %d: %s: %v", t.line, d.Name, err)
		p.h.Defines = append(p.h.Defines, d)
		return nil
	}
	for i := range toks {
		toks[i].line, toks[i].end = t.line, t.line
	}
	switch {
	case len(toks) == 0:
		d.Err = fmt.Errorf("line %d: %s has no value", t.line, d.Name)
	case len(toks) == 1 && toks[0].kind == tokString:
		s, err := strconv.Unquote(toks[0].text)
		if err != nil {
			d.Err = fmt.Errorf("line %d: %s: bad string literal %s", t.line, d.Name, toks[0].text)
			break
		}
		d.Kind, d.Str = defineString, s
	default:
		e := &exprParser{toks: toks, syms: p.syms, line: t.line}
		v, err := e.parse(nil)
		if err == nil && e.pos != len(e.toks) {
			err = fmt.Errorf("line %d: unexpected %q in expression", t.line, e.toks[e.pos].text)
		}
		if err != nil {
			d.Err = fmt.Errorf("%s: %w", d.Name, err)
			break
		}
		d.Kind, d.Int = defineInt, v
		p.syms[d.Name] = v
	}
	p.h.Defines = append(p.h.Defines, d)
	return nil
}

// enum parses what follows the enum keyword at line.
func (p *headerParser) enum(line int) error {
	t, ok := p.next()
	if !ok {
		return fmt.Errorf("line %d: file ends after enum", line)
	}
	tag := ""
	if t.kind == tokIdent {
		tag = t.text
		t, ok = p.peek()
		if !ok || t.kind != tokPunct || t.text != "{" {
			return nil // a use such as "enum foo x;", not a definition
		}
		t, _ = p.next()
	}
	if t.kind != tokPunct || t.text != "{" {
		return fmt.Errorf("line %d: expected enum tag or '{' after enum, found %q", t.line, t.text)
	}
	e := cEnum{Tag: tag, Line: line}

	type entry struct {
		nameIdx int // token index of the name
		endLine int // line of the comma or last token
	}
	var entries []entry
	bodyStart := p.pos
	next := int64(0)
	closed := false
	for !closed {
		t, ok := p.next()
		if !ok {
			return fmt.Errorf("line %d: enum starting on line %d is not closed", p.lastLine(), line)
		}
		if t.kind == tokPunct && t.text == "}" {
			if len(entries) == 0 {
				return fmt.Errorf("line %d: empty enum", t.line)
			}
			break
		}
		if t.kind == tokDirective {
			return fmt.Errorf("line %d: preprocessor directive inside an enum is not supported", t.line)
		}
		if t.kind != tokIdent {
			return fmt.Errorf("line %d: expected enumerator name, found %q", t.line, t.text)
		}
		if !isCIdent(t.text) || cKeywords[t.text] {
			return fmt.Errorf("line %d: %q is not a valid enumerator name", t.line, t.text)
		}
		if prev, ok := p.seen[t.text]; ok {
			return fmt.Errorf("line %d: %s already defined on line %d", t.line, t.text, prev)
		}
		en := entry{nameIdx: p.pos - 1, endLine: t.line}
		v := cEnumerator{Name: t.text, Line: t.line}
		sep, ok := p.next()
		if !ok {
			return fmt.Errorf("line %d: enum starting on line %d is not closed", p.lastLine(), line)
		}
		if sep.kind == tokPunct && sep.text == "=" {
			ep := p.exprTokens()
			val, err := ep.parse(nil)
			if err != nil {
				return fmt.Errorf("%s: %w", v.Name, err)
			}
			if ep.pos < len(ep.toks) {
				return fmt.Errorf("line %d: %s: unexpected %q in expression", ep.toks[ep.pos].line, v.Name, ep.toks[ep.pos].text)
			}
			next = val
			if len(ep.toks) > 0 {
				en.endLine = ep.toks[len(ep.toks)-1].line
			}
			sep, ok = p.next()
			if !ok {
				return fmt.Errorf("line %d: enum starting on line %d is not closed", p.lastLine(), line)
			}
		}
		v.Value = next
		p.syms[v.Name] = next
		p.seen[v.Name] = v.Line
		e.Values = append(e.Values, v)
		switch {
		case sep.kind == tokPunct && sep.text == ",":
			en.endLine = sep.line
		case sep.kind == tokPunct && sep.text == "}":
			closed = true
		default:
			return fmt.Errorf("line %d: expected ',' or '}' after %s, found %q", sep.line, v.Name, sep.text)
		}
		entries = append(entries, en)
		if !closed {
			if next == math.MaxInt64 {
				// Only an error if another enumerator takes the implicit value.
				if t, ok := p.peek(); ok && t.kind == tokIdent {
					return fmt.Errorf("line %d: enumerator after %s overflows", t.line, v.Name)
				}
			}
			next++
		}
	}
	bodyEnd := p.pos

	// Attach the comments: a comment that starts on the lines of an entry
	// (from its name to its comma) belongs to that entry; any other comment
	// documents the entry after it.
	var pending []string
	cur := -1
	for i := bodyStart; i < bodyEnd; i++ {
		for cur+1 < len(entries) && entries[cur+1].nameIdx < i {
			cur++
			if len(pending) > 0 {
				e.Values[cur].Doc = strings.Join(pending, " ")
				pending = nil
			}
		}
		t := p.toks[i]
		if t.kind != tokComment || t.text == "" {
			continue
		}
		if cur >= 0 && t.line <= entries[cur].endLine {
			e.Values[cur].Comment = joinComment(e.Values[cur].Comment, t.text)
			continue
		}
		pending = append(pending, t.text)
	}
	p.h.Enums = append(p.h.Enums, e)
	return nil
}

func joinComment(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// exprTokens collects the tokens of an enumerator's value: everything up to
// the ',' or '}' outside parentheses. It leaves p.pos at that token.
func (p *headerParser) exprTokens() exprParser {
	var toks []cToken
	depth := 0
	line := 0
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		line = t.line
		if t.kind == tokComment {
			p.pos++
			continue
		}
		if t.kind == tokPunct {
			switch t.text {
			case "(":
				depth++
			case ")":
				depth--
			case ",", "}":
				if depth <= 0 {
					return exprParser{toks: toks, syms: p.syms, line: line}
				}
			}
		}
		if t.kind == tokDirective || t.kind == tokPunct && (t.text == "{" || t.text == ";") {
			break // let the expression parser report it
		}
		toks = append(toks, t)
		p.pos++
	}
	return exprParser{toks: toks, syms: p.syms, line: line}
}

var cKeywords = map[string]bool{
	"auto": true, "break": true, "case": true, "char": true, "const": true, "continue": true,
	"default": true, "do": true, "double": true, "else": true, "enum": true, "extern": true,
	"float": true, "for": true, "goto": true, "if": true, "int": true, "long": true,
	"register": true, "return": true, "short": true, "signed": true, "sizeof": true,
	"static": true, "struct": true, "switch": true, "typedef": true, "union": true,
	"unsigned": true, "void": true, "volatile": true, "while": true,
}

func isCIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// exprParser evaluates an integer constant expression by precedence
// climbing, in int64 with overflow checks.
type exprParser struct {
	toks []cToken
	pos  int
	syms map[string]int64
	line int // for errors at the end of the tokens
}

// binary operators and their precedence, loosest first as in C.
var binPrec = map[string]int{
	"|": 1, "^": 2, "&": 3,
	"<<": 4, ">>": 4,
	"+": 5, "-": 5,
	"*": 6, "/": 6, "%": 6,
}

func (e *exprParser) errLine() int {
	if e.pos < len(e.toks) {
		return e.toks[e.pos].line
	}
	if len(e.toks) > 0 {
		return e.toks[len(e.toks)-1].line
	}
	return e.line
}

// parse parses a whole expression. depth guards against deeply nested input.
func (e *exprParser) parse(depth *int) (int64, error) {
	var d int
	if depth == nil {
		depth = &d
	}
	if len(e.toks) == 0 {
		return 0, fmt.Errorf("line %d: missing value", e.line)
	}
	return e.binary(1, depth)
}

func (e *exprParser) binary(minPrec int, depth *int) (int64, error) {
	lhs, err := e.unary(depth)
	if err != nil {
		return 0, err
	}
	for e.pos < len(e.toks) {
		t := e.toks[e.pos]
		prec, ok := binPrec[t.text]
		if t.kind != tokPunct || !ok || prec < minPrec {
			break
		}
		e.pos++
		rhs, err := e.binary(prec+1, depth)
		if err != nil {
			return 0, err
		}
		lhs, err = applyBinary(t.text, lhs, rhs)
		if err != nil {
			return 0, fmt.Errorf("line %d: %w", t.line, err)
		}
	}
	return lhs, nil
}

func (e *exprParser) unary(depth *int) (int64, error) {
	*depth++
	defer func() { *depth-- }()
	if *depth > 100 {
		return 0, fmt.Errorf("line %d: expression nested too deeply", e.errLine())
	}
	if e.pos >= len(e.toks) {
		return 0, fmt.Errorf("line %d: expression ends early", e.errLine())
	}
	t := e.toks[e.pos]
	e.pos++
	switch t.kind {
	case tokNumber:
		return parseCInt(t)
	case tokIdent:
		v, ok := e.syms[t.text]
		if !ok {
			return 0, fmt.Errorf("line %d: unknown identifier %s", t.line, t.text)
		}
		return v, nil
	case tokPunct:
		switch t.text {
		case "(":
			v, err := e.binary(1, depth)
			if err != nil {
				return 0, err
			}
			if e.pos >= len(e.toks) || e.toks[e.pos].text != ")" {
				return 0, fmt.Errorf("line %d: missing ')'", e.errLine())
			}
			e.pos++
			return v, nil
		case "-", "+", "~", "!":
			v, err := e.unary(depth)
			if err != nil {
				return 0, err
			}
			switch t.text {
			case "-":
				if v == math.MinInt64 {
					return 0, fmt.Errorf("line %d: overflow in -%d", t.line, v)
				}
				return -v, nil
			case "~":
				return ^v, nil
			case "!":
				if v == 0 {
					return 1, nil
				}
				return 0, nil
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("line %d: unexpected %q in expression", t.line, t.text)
}

func applyBinary(op string, a, b int64) (int64, error) {
	overflow := fmt.Errorf("overflow in %d %s %d", a, op, b)
	switch op {
	case "|":
		return a | b, nil
	case "^":
		return a ^ b, nil
	case "&":
		return a & b, nil
	case "<<":
		if b < 0 || b > 62 {
			return 0, fmt.Errorf("shift count %d out of range", b)
		}
		r := a << b
		if r>>b != a {
			return 0, overflow
		}
		return r, nil
	case ">>":
		if b < 0 || b > 63 {
			return 0, fmt.Errorf("shift count %d out of range", b)
		}
		return a >> b, nil
	case "+":
		r := a + b
		if (a > 0 && b > 0 && r < 0) || (a < 0 && b < 0 && r >= 0) {
			return 0, overflow
		}
		return r, nil
	case "-":
		r := a - b
		if (a >= 0 && b < 0 && r < 0) || (a < 0 && b > 0 && r >= 0) {
			return 0, overflow
		}
		return r, nil
	case "*":
		if a == 0 || b == 0 {
			return 0, nil
		}
		r := a * b
		if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return 0, overflow
		}
		return r, nil
	case "/", "%":
		if b == 0 {
			return 0, fmt.Errorf("division by zero")
		}
		if a == math.MinInt64 && b == -1 {
			return 0, overflow
		}
		if op == "/" {
			return a / b, nil
		}
		return a % b, nil
	}
	return 0, fmt.Errorf("unknown operator %s", op)
}

// parseCInt parses a C integer literal: decimal, 0x hex, 0 octal or 0b
// binary, with optional u/l suffixes.
func parseCInt(t cToken) (int64, error) {
	s := strings.TrimRight(t.text, "uUlL")
	if len(s) != len(t.text) {
		suf := strings.ToLower(t.text[len(s):])
		switch suf {
		case "u", "l", "ul", "lu", "ll", "ull", "llu":
		default:
			return 0, fmt.Errorf("line %d: bad integer suffix in %s", t.line, t.text)
		}
	}
	base := 10
	digits := s
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, digits = 16, s[2:]
	case strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0B"):
		base, digits = 2, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	if digits == "" || strings.ContainsAny(digits, "_+-") {
		return 0, fmt.Errorf("line %d: bad integer literal %s", t.line, t.text)
	}
	u, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, fmt.Errorf("line %d: bad integer literal %s", t.line, t.text)
	}
	if u > math.MaxInt64 {
		return 0, fmt.Errorf("line %d: integer literal %s does not fit in 63 bits", t.line, t.text)
	}
	return int64(u), nil
}
