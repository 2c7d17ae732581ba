package main

import (
	"fmt"
	gotoken "go/token"
	"regexp"
	"strings"
)

// An enumSpec says how one C enum of the header becomes a Go type. Every enum
// of the header must match exactly one spec and every spec exactly one enum,
// so a kernel that adds an enum makes the generator fail until a spec names it.
type enumSpec struct {
	tag        string   // the C tag of a named enum
	member     string   // for an anonymous enum: an enumerator it must hold
	goType     string   // the Go type
	underlying string   // uint8, uint16 or uint32
	prefixes   []string // C prefixes stripped from the names, tried in order
	goPrefix   string   // prefix of the Go constant names
	maxDefine  string   // the #define giving the largest value, emitted as goPrefix+"Max"
	bitflags   bool     // values are single bits, String joins them with '|'
	attrSet    bool     // an attribute enum: emit its wire table and codecs
	codecName  string   // for attribute enums: the prefix of the codec names after put/get
	doc        string   // the Go type's doc comment, after its name
}

var enumSpecs = []*enumSpec{
	{member: "L2TP_CMD_NOOP", goType: "command", underlying: "uint8",
		prefixes: []string{"L2TP_CMD_"}, goPrefix: "cmd", maxDefine: "L2TP_CMD_MAX",
		doc: "is a generic netlink command of the l2tp family (L2TP_CMD_*)."},
	{member: "L2TP_ATTR_NONE", goType: "attr", underlying: "uint16",
		prefixes: []string{"L2TP_ATTR_"}, goPrefix: "attr", maxDefine: "L2TP_ATTR_MAX", attrSet: true,
		doc: "is the type of a top-level attribute of the l2tp family (L2TP_ATTR_*)."},
	{member: "L2TP_ATTR_STATS_NONE", goType: "statsAttr", underlying: "uint16",
		prefixes: []string{"L2TP_ATTR_STATS_", "L2TP_ATTR_"}, goPrefix: "statsAttr", maxDefine: "L2TP_ATTR_STATS_MAX", attrSet: true, codecName: "Stats",
		doc: "is the type of an attribute nested in L2TP_ATTR_STATS."},
	{tag: "l2tp_pwtype", goType: "PseudowireType", underlying: "uint16",
		prefixes: []string{"L2TP_PWTYPE_"}, goPrefix: "Pseudowire",
		doc: "is the kind of frames a session carries (enum l2tp_pwtype)."},
	{tag: "l2tp_l2spec_type", goType: "L2SpecType", underlying: "uint8",
		prefixes: []string{"L2TP_L2SPECTYPE_"}, goPrefix: "L2Spec",
		doc: "is the L2TPv3 layer-2-specific sublayer of a session (enum l2tp_l2spec_type)."},
	{tag: "l2tp_encap_type", goType: "EncapType", underlying: "uint16",
		prefixes: []string{"L2TP_ENCAPTYPE_"}, goPrefix: "Encap",
		doc: "is how a tunnel's packets are carried: over UDP or directly over IP (enum l2tp_encap_type)."},
	{tag: "l2tp_seqmode", goType: "SeqMode", underlying: "uint8",
		prefixes: []string{"L2TP_SEQ_"}, goPrefix: "Seq",
		doc: "is a data sequencing mode (enum l2tp_seqmode). The kernel does not use it."},
	{tag: "l2tp_debug_flags", goType: "DebugFlags", underlying: "uint32",
		prefixes: []string{"L2TP_"}, goPrefix: "Debug", bitflags: true,
		doc: "is a set of debug message categories (enum l2tp_debug_flags). Kernels since 5.10 ignore them."},
}

// The C→Go naming rule: strip the prefix, split at '_', write each word in
// title case, except the words below.
var (
	// initialisms stay upper case.
	initialisms = map[string]bool{
		"AC": true, "FD": true, "ID": true, "IP": true, "IP6": true, "LNS": true, "MRU": true,
		"MTU": true, "OOS": true, "PPP": true, "PW": true, "UDP": true, "VLAN": true,
	}
	// wordNames spell words the title-case rule gets wrong.
	wordNames = map[string]string{
		"L2SPEC": "L2Spec",
		"IPSEC":  "IPSec",
	}
	// cNames names whole constants, after the prefix, where the rule does
	// not fit. TX and RX are initialisms in the checksum options, as in
	// iproute2's udp6zerocsumtx, while the statistics keep Tx and Rx.
	cNames = map[string]string{
		"L2TP_ATTR_UDP_ZERO_CSUM6_TX": "UDPZeroCsum6TX",
		"L2TP_ATTR_UDP_ZERO_CSUM6_RX": "UDPZeroCsum6RX",
	}
)

// goName applies the naming rule to a C constant of spec s.
func (s *enumSpec) goName(cname string) (string, error) {
	rest := ""
	for _, p := range s.prefixes {
		if r, ok := strings.CutPrefix(cname, p); ok && r != "" {
			rest = r
			break
		}
	}
	if rest == "" {
		return "", fmt.Errorf("%s does not start with %s", cname, strings.Join(s.prefixes, " or "))
	}
	if n, ok := cNames[cname]; ok {
		return s.goPrefix + n, nil
	}
	var b strings.Builder
	b.WriteString(s.goPrefix)
	for w := range strings.SplitSeq(rest, "_") {
		switch {
		case w == "":
			return "", fmt.Errorf("%s: empty word in name", cname)
		case initialisms[w]:
			b.WriteString(w)
		case wordNames[w] != "":
			b.WriteString(wordNames[w])
		default:
			b.WriteString(strings.ToUpper(w[:1]) + strings.ToLower(w[1:]))
		}
	}
	n := b.String()
	if !gotoken.IsIdentifier(n) {
		return "", fmt.Errorf("%s: %q is not a Go identifier", cname, n)
	}
	return n, nil
}

// wireKind is the layout of an attribute's payload.
type wireKind int

// The wire kinds, in the order the generated wireType constants list them.
const (
	wireUnknown wireKind = iota
	wireNone
	wirePad
	wireU8
	wireU16
	wireU32
	wireU64
	wireS32
	wireMsec
	wireString
	wireBytes8
	wireFlag
	wireNested
	wireIPv4
	wireIPv6
)

// wireKinds lists every kind with its Go constant, String text and doc.
var wireKinds = []struct {
	kind  wireKind
	name  string
	str   string
	doc   string
	goTyp string // the Go type of the codecs' value
	size  int    // the payload's size in bytes; for bytes(0-8), the most it may hold
	uint  string // for integers: the method of encoding/binary and netlinkraw that reads it ("Uint32")
}{
	{wireUnknown, "wireUnknown", "unknown", "not an attribute of the header", "", 0, ""},
	{wireNone, "wireNone", "none", "carries no data; never sent", "", 0, ""},
	{wirePad, "wirePad", "pad", "alignment padding for 64-bit values; skipped", "", 0, ""},
	{wireU8, "wireU8", "u8", "1 byte", "uint8", 1, "Uint8"},
	{wireU16, "wireU16", "u16", "2 bytes, host byte order", "uint16", 2, "Uint16"},
	{wireU32, "wireU32", "u32", "4 bytes, host byte order", "uint32", 4, "Uint32"},
	{wireU64, "wireU64", "u64", "8 bytes, host byte order", "uint64", 8, "Uint64"},
	{wireS32, "wireS32", "s32", "a C int: 4 bytes, host byte order", "int32", 4, "Uint32"},
	{wireMsec, "wireMsec", "msec", "milliseconds as a u64", "time.Duration", 8, "Uint64"},
	{wireString, "wireString", "string", "a NUL-terminated string", "string", 0, ""},
	{wireBytes8, "wireBytes8", "bytes(0-8)", "0 to 8 opaque bytes", "[]byte", 8, ""},
	{wireFlag, "wireFlag", "flag", "no payload: present means true", "bool", 0, ""},
	{wireNested, "wireNested", "nested", "a sequence of attributes", "", 0, ""},
	{wireIPv4, "wireIPv4", "in_addr", "an IPv4 address: 4 bytes, network byte order", "netip.Addr", 4, ""},
	{wireIPv6, "wireIPv6", "in6_addr", "an IPv6 address: 16 bytes, network byte order", "netip.Addr", 16, ""},
}

// An attrWire is the wire type of one attribute.
type attrWire struct {
	kind   wireKind
	goType string // a typed enum for integer kinds ("PseudowireType"); "" for the default
	note   string // what the table's comment says: the header's comment or the override's reason
}

// A wireOverride replaces what a header comment says. header is the comment
// it was written for: when the header changes it, the generator fails so
// that someone reviews the override.
type wireOverride struct {
	header string
	wire   attrWire
}

var wireOverrides = map[string]wireOverride{
	"L2TP_ATTR_IP_SADDR": {"u32", attrWire{kind: wireIPv4,
		note: "override: the header says u32; the kernel reads 4 bytes in network order (nla_get_in_addr)"}},
	"L2TP_ATTR_IP_DADDR": {"u32", attrWire{kind: wireIPv4,
		note: "override: the header says u32; the kernel reads 4 bytes in network order (nla_get_in_addr)"}},
	"L2TP_ATTR_UDP_CSUM": {"u8", attrWire{kind: wireU8,
		note: "u8; but TUNNEL_CREATE reads it as a flag (nla_get_flag): any value enables checksums, so send it only to enable them"}},
	"L2TP_ATTR_DATA_SEQ": {"u16 (not used)", attrWire{kind: wireU8, goType: "SeqMode",
		note: "override: the header says u16; the kernel's policy says NLA_U8, values of enum l2tp_seqmode (not used)"}},
	"L2TP_ATTR_PAD": {"", attrWire{kind: wirePad,
		note: "override: no comment in the header; padding of nla_put_u64_64bit"}},
	"L2TP_ATTR_STATS_PAD": {"", attrWire{kind: wirePad,
		note: "override: no comment in the header; padding of nla_put_u64_64bit"}},
}

var (
	parenRE   = regexp.MustCompile(`\([^()]*\)`)
	intWireRE = regexp.MustCompile(`^(u8|u16|u32|u64)(?:, *enum ([A-Za-z_][A-Za-z0-9_]*))?$`)
)

// wireFromComment maps an attribute's header comment to its wire type.
func wireFromComment(comment string) (attrWire, error) {
	c := strings.Join(strings.Fields(parenRE.ReplaceAllString(comment, "")), " ")
	c = strings.TrimRight(c, " .,;")
	w := attrWire{note: comment}
	switch c {
	case "no data":
		w.kind = wireNone
	case "msec":
		w.kind = wireMsec
	case "string":
		w.kind = wireString
	case "nested":
		w.kind = wireNested
	case "flag":
		w.kind = wireFlag
	case "struct in6_addr":
		w.kind = wireIPv6
	case "int":
		w.kind = wireS32
	case "0, 4 or 8 bytes":
		w.kind = wireBytes8
		w.note += "; the kernel accepts any length up to 8"
	default:
		m := intWireRE.FindStringSubmatch(c)
		if m == nil {
			if comment == "" {
				return w, fmt.Errorf("no comment gives its wire type: add an override")
			}
			return w, fmt.Errorf("cannot map the comment %q to a wire type: add an override", comment)
		}
		w.kind = map[string]wireKind{"u8": wireU8, "u16": wireU16, "u32": wireU32, "u64": wireU64}[m[1]]
		if m[2] != "" {
			s := specByTag(m[2])
			if s == nil {
				return w, fmt.Errorf("the comment %q names enum %s, which has no Go type", comment, m[2])
			}
			if want := map[wireKind]string{wireU8: "uint8", wireU16: "uint16", wireU32: "uint32"}[w.kind]; want != s.underlying {
				return w, fmt.Errorf("the comment %q says %s but %s is a %s", comment, m[1], s.goType, s.underlying)
			}
			w.goType = s.goType
		}
	}
	return w, nil
}

func specByTag(tag string) *enumSpec {
	for _, s := range enumSpecs {
		if s.tag == tag {
			return s
		}
	}
	return nil
}

// A goConst is one generated constant.
type goConst struct {
	name  string
	cname string
	value int64
	line  int
	wire  attrWire // for attribute enums
	codec string   // for attribute enums: the name after put/get, "" for none
}

// A goEnum is one generated type.
type goEnum struct {
	spec   *enumSpec
	consts []goConst
	max    *goConst // from spec.maxDefine
}

// A genlDefine is one generated constant from a #define.
type genlDefine struct {
	name   string
	cname  string
	str    string
	value  int64
	isStr  bool
	line   int
	goDesc string
}

// A model is everything the generated files hold.
type model struct {
	genl  []genlDefine
	enums []*goEnum
}

var genlDefines = []struct {
	cname, name string
	isStr       bool
}{
	{"L2TP_GENL_NAME", "genlFamilyName", true},
	{"L2TP_GENL_VERSION", "genlFamilyVersion", false},
	{"L2TP_GENL_MCGROUP", "genlMulticastGroup", true},
}

// buildModel turns a parsed header into the model of the generated files.
func buildModel(h *cHeader) (*model, error) {
	m := &model{}
	for _, g := range genlDefines {
		d, ok := h.define(g.cname)
		if !ok {
			return nil, fmt.Errorf("the header does not define %s", g.cname)
		}
		switch {
		case g.isStr && d.Kind != defineString:
			return nil, fmt.Errorf("line %d: %s must be a string literal, found %q", d.Line, d.Name, d.Raw)
		case !g.isStr && d.Kind != defineInt:
			return nil, fmt.Errorf("line %d: %s must be an integer, found %q", d.Line, d.Name, d.Raw)
		}
		m.genl = append(m.genl, genlDefine{name: g.name, cname: g.cname, str: d.Str, value: d.Int, isStr: g.isStr, line: d.Line})
	}

	matched := map[*enumSpec]*cEnum{}
	for i := range h.Enums {
		e := &h.Enums[i]
		var spec *enumSpec
		for _, s := range enumSpecs {
			if s.tag != "" && s.tag == e.Tag || s.member != "" && e.Tag == "" && hasMember(e, s.member) {
				spec = s
			}
		}
		if spec == nil {
			what := "anonymous enum"
			if e.Tag != "" {
				what = "enum " + e.Tag
			}
			return nil, fmt.Errorf("line %d: %s has no Go type: add it to enumSpecs", e.Line, what)
		}
		if prev := matched[spec]; prev != nil {
			return nil, fmt.Errorf("line %d: a second enum for Go type %s (the first is on line %d)", e.Line, spec.goType, prev.Line)
		}
		matched[spec] = e
	}

	names := map[string]string{} // Go name -> C name, for collisions
	for _, g := range m.genl {
		names[g.name] = g.cname
	}
	for _, s := range enumSpecs {
		e := matched[s]
		if e == nil {
			if s.tag != "" {
				return nil, fmt.Errorf("the header has no enum %s (Go type %s)", s.tag, s.goType)
			}
			return nil, fmt.Errorf("the header has no enum holding %s (Go type %s)", s.member, s.goType)
		}
		ge := &goEnum{spec: s}
		limit := map[string]int64{"uint8": 1<<8 - 1, "uint16": 1<<16 - 1, "uint32": 1<<32 - 1}[s.underlying]
		values := map[int64]string{}
		for _, v := range e.Values {
			if strings.HasPrefix(v.Name, "__") {
				continue // a sentinel such as __L2TP_ATTR_MAX
			}
			n, err := s.goName(v.Name)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", v.Line, err)
			}
			if prev, ok := names[n]; ok {
				return nil, fmt.Errorf("line %d: %s and %s both become %s", v.Line, prev, v.Name, n)
			}
			names[n] = v.Name
			if v.Value < 0 || v.Value > limit {
				return nil, fmt.Errorf("line %d: %s = %d does not fit Go type %s (%s)", v.Line, v.Name, v.Value, s.goType, s.underlying)
			}
			if prev, ok := values[v.Value]; ok {
				return nil, fmt.Errorf("line %d: %s has the value of %s (%d)", v.Line, v.Name, prev, v.Value)
			}
			values[v.Value] = v.Name
			if s.bitflags && (v.Value == 0 || v.Value&(v.Value-1) != 0) {
				return nil, fmt.Errorf("line %d: flag %s = %#x is not a single bit", v.Line, v.Name, v.Value)
			}
			c := goConst{name: n, cname: v.Name, value: v.Value, line: v.Line}
			if s.attrSet {
				w, err := attrWireOf(v)
				if err != nil {
					return nil, err
				}
				c.wire = w
				switch w.kind {
				case wireNone, wirePad, wireNested:
				default:
					c.codec = s.codecName + strings.TrimPrefix(n, s.goPrefix)
				}
			}
			ge.consts = append(ge.consts, c)
		}
		if len(ge.consts) == 0 {
			return nil, fmt.Errorf("line %d: enum for Go type %s has no constants", e.Line, s.goType)
		}
		if s.maxDefine != "" {
			d, ok := h.define(s.maxDefine)
			if !ok {
				return nil, fmt.Errorf("the header does not define %s", s.maxDefine)
			}
			if d.Kind != defineInt {
				if d.Err != nil {
					return nil, d.Err // names the macro and its line
				}
				return nil, fmt.Errorf("line %d: %s is not an integer", d.Line, d.Name)
			}
			if d.Int < 0 || d.Int > limit {
				return nil, fmt.Errorf("line %d: %s = %d does not fit Go type %s (%s)", d.Line, d.Name, d.Int, s.goType, s.underlying)
			}
			n := s.goPrefix + "Max"
			if prev, ok := names[n]; ok {
				return nil, fmt.Errorf("line %d: %s and %s both become %s", d.Line, prev, d.Name, n)
			}
			names[n] = d.Name
			ge.max = &goConst{name: n, cname: d.Name, value: d.Int, line: d.Line}
		}
		m.enums = append(m.enums, ge)
	}
	return m, nil
}

func hasMember(e *cEnum, name string) bool {
	for _, v := range e.Values {
		if v.Name == name {
			return true
		}
	}
	return false
}

// attrWireOf gives the wire type of an attribute: its override, or what its
// comment says.
func attrWireOf(v cEnumerator) (attrWire, error) {
	comment := v.Comment
	if comment == "" {
		comment = v.Doc
	}
	if o, ok := wireOverrides[v.Name]; ok {
		if comment != o.header {
			return attrWire{}, fmt.Errorf("line %d: %s: the override was written for the header comment %q, the header now says %q: review the override in gen/model.go",
				v.Line, v.Name, o.header, comment)
		}
		return o.wire, nil
	}
	w, err := wireFromComment(comment)
	if err != nil {
		return attrWire{}, fmt.Errorf("line %d: %s: %w", v.Line, v.Name, err)
	}
	return w, nil
}
