package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// miniHeader has every enum and #define the generator needs, with one or two
// entries each, in the style of linux/l2tp.h. Tests mutate it.
const miniHeader = `/* a synthetic l2tp.h */
enum {
	L2TP_CMD_NOOP,
	L2TP_CMD_TUNNEL_CREATE,
	__L2TP_CMD_MAX,
};

#define L2TP_CMD_MAX			(__L2TP_CMD_MAX - 1)

enum {
	L2TP_ATTR_NONE,			/* no data */
	L2TP_ATTR_PW_TYPE,		/* u16, enum l2tp_pwtype */
	L2TP_ATTR_CONN_ID,		/* u32 */
	L2TP_ATTR_IP_SADDR,		/* u32 */
	L2TP_ATTR_STATS,		/* nested */
	L2TP_ATTR_PAD,
	__L2TP_ATTR_MAX,
};

#define L2TP_ATTR_MAX			(__L2TP_ATTR_MAX - 1)

enum {
	L2TP_ATTR_STATS_NONE,		/* no data */
	L2TP_ATTR_TX_PACKETS,		/* u64 */
	L2TP_ATTR_STATS_PAD,
	__L2TP_ATTR_STATS_MAX,
};

#define L2TP_ATTR_STATS_MAX		(__L2TP_ATTR_STATS_MAX - 1)

enum l2tp_pwtype {
	L2TP_PWTYPE_NONE = 0x0000,
	L2TP_PWTYPE_ETH = 0x0005,
	__L2TP_PWTYPE_MAX
};

enum l2tp_l2spec_type {
	L2TP_L2SPECTYPE_NONE,
};

enum l2tp_encap_type {
	L2TP_ENCAPTYPE_UDP,
};

enum l2tp_seqmode {
	L2TP_SEQ_NONE = 0,
};

enum l2tp_debug_flags {
	L2TP_MSG_DEBUG		= (1 << 0),
	L2TP_MSG_DATA		= (1 << 3),
};

#define L2TP_GENL_NAME		"l2tp"
#define L2TP_GENL_VERSION	0x1
#define L2TP_GENL_MCGROUP       "l2tp"
`

func TestBuildModelMini(t *testing.T) {
	h, err := parseHeader(miniHeader)
	if err != nil {
		t.Fatal(err)
	}
	m, err := buildModel(h)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, CName, Codec string
		Value              int64
		Wire               string
		GoType             string
	}
	var got []row
	for _, e := range m.enums {
		for _, c := range e.consts {
			got = append(got, row{c.name, c.cname, c.codec, c.value, wireKinds[c.wire.kind].str, c.wire.goType})
		}
		if e.max != nil {
			got = append(got, row{Name: e.max.name, CName: e.max.cname, Value: e.max.value, Wire: "unknown"})
		}
	}
	want := []row{
		{"cmdNoop", "L2TP_CMD_NOOP", "", 0, "unknown", ""},
		{"cmdTunnelCreate", "L2TP_CMD_TUNNEL_CREATE", "", 1, "unknown", ""},
		{"cmdMax", "L2TP_CMD_MAX", "", 1, "unknown", ""},
		{"attrNone", "L2TP_ATTR_NONE", "", 0, "none", ""},
		{"attrPWType", "L2TP_ATTR_PW_TYPE", "PWType", 1, "u16", "PseudowireType"},
		{"attrConnID", "L2TP_ATTR_CONN_ID", "ConnID", 2, "u32", ""},
		{"attrIPSaddr", "L2TP_ATTR_IP_SADDR", "IPSaddr", 3, "in_addr", ""},
		{"attrStats", "L2TP_ATTR_STATS", "", 4, "nested", ""},
		{"attrPad", "L2TP_ATTR_PAD", "", 5, "pad", ""},
		{"attrMax", "L2TP_ATTR_MAX", "", 5, "unknown", ""},
		{"statsAttrNone", "L2TP_ATTR_STATS_NONE", "", 0, "none", ""},
		{"statsAttrTxPackets", "L2TP_ATTR_TX_PACKETS", "StatsTxPackets", 1, "u64", ""},
		{"statsAttrPad", "L2TP_ATTR_STATS_PAD", "", 2, "pad", ""},
		{"statsAttrMax", "L2TP_ATTR_STATS_MAX", "", 2, "unknown", ""},
		{"PseudowireNone", "L2TP_PWTYPE_NONE", "", 0, "unknown", ""},
		{"PseudowireEth", "L2TP_PWTYPE_ETH", "", 5, "unknown", ""},
		{"L2SpecNone", "L2TP_L2SPECTYPE_NONE", "", 0, "unknown", ""},
		{"EncapUDP", "L2TP_ENCAPTYPE_UDP", "", 0, "unknown", ""},
		{"SeqNone", "L2TP_SEQ_NONE", "", 0, "unknown", ""},
		{"DebugMsgDebug", "L2TP_MSG_DEBUG", "", 1, "unknown", ""},
		{"DebugMsgData", "L2TP_MSG_DATA", "", 8, "unknown", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unexpected constants (-want +got):\n%s", diff)
	}
	wantGenl := []string{`genlFamilyName="l2tp"`, "genlFamilyVersion=1", `genlMulticastGroup="l2tp"`}
	var gotGenl []string
	for _, g := range m.genl {
		if g.isStr {
			gotGenl = append(gotGenl, g.name+`="`+g.str+`"`)
		} else {
			gotGenl = append(gotGenl, g.name+"="+strings.TrimSpace(formatValue(g.value, false)))
		}
	}
	if diff := cmp.Diff(wantGenl, gotGenl); diff != "" {
		t.Errorf("unexpected genl constants (-want +got):\n%s", diff)
	}
}

// Every way the header can drift from what the generator knows makes it fail
// with an error naming the header line or the missing name.
func TestBuildModelErrors(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old by new in miniHeader
		want     string
	}{
		{"unmappable comment",
			"L2TP_ATTR_CONN_ID,		/* u32 */", "L2TP_ATTR_CONN_ID,		/* u24 */",
			`line 13: L2TP_ATTR_CONN_ID: cannot map the comment "u24" to a wire type: add an override`},
		{"attribute without a comment",
			"L2TP_ATTR_CONN_ID,		/* u32 */", "L2TP_ATTR_CONN_ID,",
			"line 13: L2TP_ATTR_CONN_ID: no comment gives its wire type"},
		{"override's comment changed",
			"L2TP_ATTR_IP_SADDR,		/* u32 */", "L2TP_ATTR_IP_SADDR,		/* __be32 */",
			`line 14: L2TP_ATTR_IP_SADDR: the override was written for the header comment "u32", the header now says "__be32"`},
		{"comment names an unknown enum",
			"/* u16, enum l2tp_pwtype */", "/* u16, enum l2tp_nope */",
			"line 12: L2TP_ATTR_PW_TYPE: the comment \"u16, enum l2tp_nope\" names enum l2tp_nope, which has no Go type"},
		{"comment's size disagrees with the enum's Go type",
			"/* u16, enum l2tp_pwtype */", "/* u8, enum l2tp_pwtype */",
			"line 12: L2TP_ATTR_PW_TYPE: the comment \"u8, enum l2tp_pwtype\" says u8 but PseudowireType is a uint16"},
		{"a new enum",
			"enum l2tp_seqmode {", "enum l2tp_new { L2TP_NEW_A };\nenum l2tp_seqmode {",
			"line 45: enum l2tp_new has no Go type: add it to enumSpecs"},
		{"a new anonymous enum",
			"enum l2tp_seqmode {", "enum { L2TP_NEW_A };\nenum l2tp_seqmode {",
			"line 45: anonymous enum has no Go type"},
		{"an enum removed",
			"enum l2tp_seqmode {\n\tL2TP_SEQ_NONE = 0,\n};", "",
			"the header has no enum l2tp_seqmode (Go type SeqMode)"},
		{"an anonymous enum changed",
			"L2TP_ATTR_STATS_NONE,", "L2TP_ATTR_STATSX_NONE,",
			"line 22: anonymous enum has no Go type"},
		{"an anonymous enum removed",
			"enum {\n\tL2TP_ATTR_STATS_NONE,		/* no data */\n\tL2TP_ATTR_TX_PACKETS,		/* u64 */\n\tL2TP_ATTR_STATS_PAD,\n\t__L2TP_ATTR_STATS_MAX,\n};", "",
			"the header has no enum holding L2TP_ATTR_STATS_NONE (Go type statsAttr)"},
		{"a missing _MAX",
			"#define L2TP_ATTR_MAX			(__L2TP_ATTR_MAX - 1)", "",
			"the header does not define L2TP_ATTR_MAX"},
		{"an unevaluable _MAX",
			"(__L2TP_ATTR_MAX - 1)", "(__L2TP_ATTR_MAXX - 1)",
			"L2TP_ATTR_MAX: line 20: unknown identifier __L2TP_ATTR_MAXX"},
		{"a _MAX that does not fit",
			"(__L2TP_CMD_MAX - 1)", "(__L2TP_CMD_MAX - 3)",
			"line 8: L2TP_CMD_MAX = -1 does not fit Go type command (uint8)"},
		{"a value that does not fit",
			"L2TP_ENCAPTYPE_UDP,", "L2TP_ENCAPTYPE_UDP = 0x10000,",
			"line 42: L2TP_ENCAPTYPE_UDP = 65536 does not fit Go type EncapType (uint16)"},
		{"a flag that is not one bit",
			"(1 << 3)", "(3 << 1)",
			"line 51: flag L2TP_MSG_DATA = 0x6 is not a single bit"},
		{"two names with one value",
			"L2TP_PWTYPE_ETH = 0x0005,", "L2TP_PWTYPE_ETH = 0x0000,",
			"line 33: L2TP_PWTYPE_ETH has the value of L2TP_PWTYPE_NONE (0)"},
		{"a name outside the prefix",
			"L2TP_CMD_TUNNEL_CREATE,", "L2TP_CMX_TUNNEL_CREATE,",
			"line 4: L2TP_CMX_TUNNEL_CREATE does not start with L2TP_CMD_"},
		{"two C names, one Go name",
			"L2TP_CMD_TUNNEL_CREATE,", "L2TP_CMD_TUNNEL_CREATE,\n\tL2TP_CMD_TUNNEL__CREATE,",
			"line 5: L2TP_CMD_TUNNEL__CREATE: empty word in name"},
		{"genl name not a string",
			`#define L2TP_GENL_NAME		"l2tp"`, "#define L2TP_GENL_NAME		7",
			`line 54: L2TP_GENL_NAME must be a string literal, found "7"`},
		{"genl version not an integer",
			"#define L2TP_GENL_VERSION	0x1", `#define L2TP_GENL_VERSION	"1"`,
			`line 55: L2TP_GENL_VERSION must be an integer, found "\"1\""`},
		{"genl group missing",
			`#define L2TP_GENL_MCGROUP       "l2tp"`, "",
			"the header does not define L2TP_GENL_MCGROUP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(miniHeader, tt.old) {
				t.Fatalf("miniHeader does not contain %q", tt.old)
			}
			src := strings.Replace(miniHeader, tt.old, tt.new, 1)
			_, err := generate([]byte(src))
			if err == nil {
				t.Fatalf("generate succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n\t%v\ndoes not contain\n\t%s", err, tt.want)
			}
		})
	}
}

func TestGoName(t *testing.T) {
	spec := func(goType string) *enumSpec {
		for _, s := range enumSpecs {
			if s.goType == goType {
				return s
			}
		}
		t.Fatalf("no spec for %s", goType)
		return nil
	}
	tests := []struct {
		goType, cname, want string
	}{
		{"attr", "L2TP_ATTR_PW_TYPE", "attrPWType"},
		{"attr", "L2TP_ATTR_L2SPEC_TYPE", "attrL2SpecType"},
		{"attr", "L2TP_ATTR_IFNAME", "attrIfname"},
		{"attr", "L2TP_ATTR_PEER_CONN_ID", "attrPeerConnID"},
		{"attr", "L2TP_ATTR_USING_IPSEC", "attrUsingIPSec"},
		{"attr", "L2TP_ATTR_IP6_SADDR", "attrIP6Saddr"},
		{"attr", "L2TP_ATTR_UDP_ZERO_CSUM6_TX", "attrUDPZeroCsum6TX"},
		{"attr", "L2TP_ATTR_LNS_MODE", "attrLNSMode"},
		{"statsAttr", "L2TP_ATTR_STATS_NONE", "statsAttrNone"},
		{"statsAttr", "L2TP_ATTR_RX_OOS_PACKETS", "statsAttrRxOOSPackets"},
		{"command", "L2TP_CMD_SESSION_GET", "cmdSessionGet"},
		{"PseudowireType", "L2TP_PWTYPE_ETH_VLAN", "PseudowireEthVLAN"},
		{"PseudowireType", "L2TP_PWTYPE_PPP_AC", "PseudowirePPPAC"},
		{"L2SpecType", "L2TP_L2SPECTYPE_DEFAULT", "L2SpecDefault"},
		{"EncapType", "L2TP_ENCAPTYPE_IP", "EncapIP"},
		{"SeqMode", "L2TP_SEQ_ALL", "SeqAll"},
		{"DebugFlags", "L2TP_MSG_CONTROL", "DebugMsgControl"},
	}
	for _, tt := range tests {
		got, err := spec(tt.goType).goName(tt.cname)
		if err != nil || got != tt.want {
			t.Errorf("goName(%s) = %q, %v; want %q", tt.cname, got, err, tt.want)
		}
	}
	for _, bad := range []string{"L2TP_ATTR_", "L2TP_ATTR__X", "L2TP_CMD_NOOP", "L2TP_ATTR_X-Y"} {
		if got, err := spec("attr").goName(bad); err == nil {
			t.Errorf("goName(%s) = %q, want an error", bad, got)
		}
	}
}

func TestWireFromComment(t *testing.T) {
	tests := []struct {
		comment string
		kind    wireKind
		goType  string
	}{
		{"no data", wireNone, ""},
		{"u8", wireU8, ""},
		{"u8 (not used)", wireU8, ""},
		{"u16, enum l2tp_pwtype", wireU16, "PseudowireType"},
		{"u8, enum l2tp_l2spec_type", wireU8, "L2SpecType"},
		{"u32, enum l2tp_debug_flags (not used)", wireU32, "DebugFlags"},
		{"u32", wireU32, ""},
		{"u64", wireU64, ""},
		{"msec", wireMsec, ""},
		{"int", wireS32, ""},
		{"string", wireString, ""},
		{"0, 4 or 8 bytes", wireBytes8, ""},
		{"nested", wireNested, ""},
		{"struct in6_addr", wireIPv6, ""},
		{"flag", wireFlag, ""},
	}
	for _, tt := range tests {
		w, err := wireFromComment(tt.comment)
		if err != nil || w.kind != tt.kind || w.goType != tt.goType {
			t.Errorf("wireFromComment(%q) = %s %q, %v; want %s %q", tt.comment, wireKinds[w.kind].str, w.goType, err,
				wireKinds[tt.kind].str, tt.goType)
		}
	}
	for _, bad := range []string{"", "u24", "struct in_addr", "u16, enum", "u16 enum l2tp_pwtype", "1, 2 or 3 bytes", "bool"} {
		if w, err := wireFromComment(bad); err == nil {
			t.Errorf("wireFromComment(%q) = %s, want an error", bad, wireKinds[w.kind].str)
		}
	}
}

// The same input gives byte-identical output, and the output carries the
// required first lines and no machine path.
func TestGenerateDeterministic(t *testing.T) {
	first, err := generate([]byte(miniHeader))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := generate([]byte(miniHeader))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("output changed between runs (-first +again):\n%s", diff)
		}
	}
	if len(first) != 2 {
		t.Errorf("generated %d files, want zl2tp.go and zattr.go", len(first))
	}
	for name, src := range first {
		if !strings.HasPrefix(string(src), fileHeader) {
			t.Errorf("%s starts with %q, want %q", name, strings.SplitN(string(src), "\n", 3)[:2], fileHeader)
		}
		if strings.Contains(string(src), "/home/") || strings.Contains(string(src), "/tmp/") || strings.Contains(string(src), "/work/") {
			t.Errorf("%s holds a machine path", name)
		}
		if strings.Contains(string(src), "__L2TP") {
			t.Errorf("%s mentions a __X_MAX sentinel", name)
		}
	}
}
