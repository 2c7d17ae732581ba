package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		enums   []cEnum
		defines []cDefine
	}{
		{
			name: "implicit values",
			src:  "enum { A, B, C };",
			enums: []cEnum{{Line: 1, Values: []cEnumerator{
				{Name: "A", Value: 0, Line: 1},
				{Name: "B", Value: 1, Line: 1},
				{Name: "C", Value: 2, Line: 1},
			}}},
		},
		{
			name: "explicit, hex, octal and implicit after explicit",
			src: `enum pw {
	P_NONE = 0x0000,
	P_ETH = 0x0005,
	P_NEXT,
	P_OCT = 010,
	P_SUF = 12UL,
	P_NEG = -3,
	P_AFTER_NEG
};`,
			enums: []cEnum{{Tag: "pw", Line: 1, Values: []cEnumerator{
				{Name: "P_NONE", Value: 0, Line: 2},
				{Name: "P_ETH", Value: 5, Line: 3},
				{Name: "P_NEXT", Value: 6, Line: 4},
				{Name: "P_OCT", Value: 8, Line: 5},
				{Name: "P_SUF", Value: 12, Line: 6},
				{Name: "P_NEG", Value: -3, Line: 7},
				{Name: "P_AFTER_NEG", Value: -2, Line: 8},
			}}},
		},
		{
			name: "shifts and expressions referring to earlier enumerators",
			src: `enum flags {
	F_A = (1 << 0),
	F_B = (1 << 1),
	F_C = 1<<4,
	F_AB = F_A | F_B,
	F_ALL = (F_AB | F_C) & ~0,
	F_MIX = 2 + 3 * 4 - (10 / 3) % 2,
	F_HI = 0x10 >> 2 ^ 1,
};`,
			enums: []cEnum{{Tag: "flags", Line: 1, Values: []cEnumerator{
				{Name: "F_A", Value: 1, Line: 2},
				{Name: "F_B", Value: 2, Line: 3},
				{Name: "F_C", Value: 16, Line: 4},
				{Name: "F_AB", Value: 3, Line: 5},
				{Name: "F_ALL", Value: 19, Line: 6},
				{Name: "F_MIX", Value: 13, Line: 7},
				{Name: "F_HI", Value: 5, Line: 8},
			}}},
		},
		{
			name: "comments before, after and inside entries",
			src: `/* the enum's own comment */
enum { /* after brace */
	/* doc of A */
	A,		/* u16, enum x */
	// doc of B
	// second line
	B /* inside B */ = /* inside value */ 4, // after B
	/*
	 * multi-line
	 * doc of C
	 */
	C,
	D, E, /* belongs to E */
	F /* no comma */
	/* trailing, attached to nothing */
};`,
			enums: []cEnum{{Line: 2, Values: []cEnumerator{
				{Name: "A", Value: 0, Line: 4, Doc: "after brace doc of A", Comment: "u16, enum x"},
				{Name: "B", Value: 4, Line: 7, Doc: "doc of B second line", Comment: "inside B inside value after B"},
				{Name: "C", Value: 5, Line: 12, Doc: "multi-line doc of C"},
				{Name: "D", Value: 6, Line: 13},
				{Name: "E", Value: 7, Line: 13, Comment: "belongs to E"},
				{Name: "F", Value: 8, Line: 14, Comment: "no comma"},
			}}},
		},
		{
			name: "several enums, anonymous and named, and things to skip",
			src: `#ifndef _X_H
#define _X_H
#include <linux/types.h>
struct s {
	enum e1 field;	/* a use, not a definition */
	__u32 x[4 - 1];
};
enum { X_A, X_B, __X_MAX, };
#define X_MAX (__X_MAX - 1)
enum e2 { Y_A = 7 };
typedef enum { Z_A = X_MAX + 1 } z_t;
#define NAME "l2tp"
#define SPACED "a  b"
#define VERSION 0x1
#define LONG_ONE (1 + \
	2) /* comment */
#define FUNC(x) ((x) + 1)
#define NOT_EVAL sizeof(int)
#endif
`,
			enums: []cEnum{
				{Line: 8, Values: []cEnumerator{
					{Name: "X_A", Value: 0, Line: 8},
					{Name: "X_B", Value: 1, Line: 8},
					{Name: "__X_MAX", Value: 2, Line: 8},
				}},
				{Tag: "e2", Line: 10, Values: []cEnumerator{{Name: "Y_A", Value: 7, Line: 10}}},
				{Line: 11, Values: []cEnumerator{{Name: "Z_A", Value: 2, Line: 11}}},
			},
			defines: []cDefine{
				{Name: "_X_H", Line: 2, Kind: defineOther},
				{Name: "X_MAX", Line: 9, Kind: defineInt, Int: 1, Raw: "(__X_MAX - 1)"},
				{Name: "NAME", Line: 12, Kind: defineString, Str: "l2tp", Raw: `"l2tp"`},
				{Name: "SPACED", Line: 13, Kind: defineString, Str: "a  b", Raw: `"a b"`},
				{Name: "VERSION", Line: 14, Kind: defineInt, Int: 1, Raw: "0x1"},
				{Name: "LONG_ONE", Line: 15, Kind: defineInt, Int: 3, Raw: "(1 + 2)"},
				{Name: "FUNC", Line: 17, Kind: defineOther, Raw: "(x) ((x) + 1)"},
				{Name: "NOT_EVAL", Line: 18, Kind: defineOther, Raw: "sizeof(int)"},
			},
		},
		{
			name:  "a macro used by a later enum",
			src:   "#define BASE (1 << 4)\nenum { M_A = BASE, M_B };\n",
			enums: []cEnum{{Line: 2, Values: []cEnumerator{{Name: "M_A", Value: 16, Line: 2}, {Name: "M_B", Value: 17, Line: 2}}}},
			defines: []cDefine{
				{Name: "BASE", Line: 1, Kind: defineInt, Int: 16, Raw: "(1 << 4)"},
			},
		},
		{
			name: "CRLF line endings",
			src:  "enum {\r\n\tA = 1, /* c */\r\n\tB\r\n};\r\n",
			enums: []cEnum{{Line: 1, Values: []cEnumerator{
				{Name: "A", Value: 1, Line: 2, Comment: "c"},
				{Name: "B", Value: 2, Line: 3},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHeader(tt.src)
			if err != nil {
				t.Fatalf("parseHeader: %v", err)
			}
			if diff := cmp.Diff(tt.enums, h.Enums); diff != "" {
				t.Errorf("unexpected enums (-want +got):\n%s", diff)
			}
			// Errors are compared by presence only: their text is tested below.
			var gotDefs []cDefine
			for _, d := range h.Defines {
				if (d.Kind == defineOther) != (d.Err != nil) {
					t.Errorf("define %s: kind %d with error %v", d.Name, d.Kind, d.Err)
				}
				d.Err = nil
				gotDefs = append(gotDefs, d)
			}
			if diff := cmp.Diff(tt.defines, gotDefs); diff != "" {
				t.Errorf("unexpected defines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // a substring of the error, which always names a line
	}{
		{"missing comma", "enum {\n\tA\n\tB\n};", "line 3: expected ',' or '}' after A"},
		{"missing value", "enum {\n\tA = ,\n};", "line 2: missing value"},
		{"unknown identifier", "enum {\n\tA = NOPE + 1,\n};", "line 2: unknown identifier NOPE"},
		{"not closed", "enum {\n\tA,\n\tB,\n", "line 3: enum starting on line 1 is not closed"},
		{"not closed after value", "enum { A = (1", "line 1: missing ')'"},
		{"empty enum", "\nenum e {};", "line 2: empty enum"},
		{"number as name", "enum {\n 1,\n};", `line 2: expected enumerator name, found "1"`},
		{"keyword as name", "enum { int };", `line 1: "int" is not a valid enumerator name`},
		{"duplicate enumerator", "enum { A };\nenum { A };", "line 2: A already defined on line 1"},
		{"duplicate define", "#define A 1\n#define A 2\n", "line 2: A already defined on line 1"},
		{"unterminated comment", "enum {\n\tA, /* oops\n};", "line 2: unterminated comment"},
		{"unterminated string", "#define S \"abc\n", "line 1: unterminated literal"},
		{"bad literal", "enum {\n\tA = 0x,\n};", "line 2: bad integer literal 0x"},
		{"bad suffix", "enum {\n\tA = 12q,\n};", "line 2: bad integer"},
		{"float", "enum {\n\tA = 1.5,\n};", "line 2: bad integer literal 1.5"},
		{"too big", "enum {\n\tA = 0xffffffffffffffff,\n};", "line 2: integer literal 0xffffffffffffffff does not fit"},
		{"division by zero", "enum {\n\n\tA = 1 / 0,\n};", "line 3: division by zero"},
		{"shift out of range", "enum { A = 1 << 64 };", "line 1: shift count 64 out of range"},
		{"overflow", "enum { A = 0x4000000000000000 * 4 };", "line 1: overflow"},
		{"implicit overflow", "enum { A = 0x7fffffffffffffff,\nB };", "line 2: enumerator after A overflows"},
		{"directive inside enum", "enum {\n#ifdef X\n A,\n#endif\n};", "line 2: preprocessor directive inside an enum"},
		{"trailing garbage in value", "enum { A = 1 2 };", `line 1: A: unexpected "2" in expression`},
		{"enum then EOF", "enum", "line 1: file ends after enum"},
		{"stray brace in value", "enum { A = { };", "line 1"},
		{"control byte", "enum { A\x01 };", "line 1: unexpected byte 0x01"},
		{"define without name", "#define\n", "line 1: #define without a macro name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := parseHeader(tt.src)
			if err == nil {
				t.Fatalf("parseHeader succeeded with %+v, want error containing %q", h, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q names no line", err)
			}
		})
	}
}

// A macro that cannot be evaluated is no error until someone needs it, and
// then its error names its line.
func TestDefineErrorNamesLine(t *testing.T) {
	h, err := parseHeader("\n\n#define L2TP_CMD_MAX (__L2TP_CMD_MAX - 1)\n")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := h.define("L2TP_CMD_MAX")
	if !ok || d.Kind != defineOther || d.Err == nil {
		t.Fatalf("define = %+v, %v; want an unevaluated macro with an error", d, ok)
	}
	if want := "line 3: unknown identifier __L2TP_CMD_MAX"; !strings.Contains(d.Err.Error(), want) {
		t.Errorf("error %q does not contain %q", d.Err, want)
	}
}
