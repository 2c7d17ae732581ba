package main

import (
	"strings"
	"testing"
)

// TestDecodeHex checks decodeHex against hex.DecodeString's rules.
func TestDecodeHex(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"", []byte{}, true},
		{"0123abCD", []byte{0x01, 0x23, 0xab, 0xcd}, true},
		{"deadbeefCAFEF00D", []byte{0xde, 0xad, 0xbe, 0xef, 0xca, 0xfe, 0xf0, 0x0d}, true},
		{"abc", nil, false},
		{"0g", nil, false},
		{"g0", nil, false},
		{"0x12", nil, false},
		{" 1", nil, false},
	} {
		got, ok := decodeHex(tt.in)
		if ok != tt.ok || string(got) != string(tt.want) {
			t.Errorf("decodeHex(%q) = %x, %v; want %x, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestCaseAndSpace checks upperASCII, lowerKeyword and oneLine against the
// strings functions they stand in for.
func TestCaseAndSpace(t *testing.T) {
	for _, s := range []string{"rx", "tx", "eth", "ppp", "7", "65535", ""} {
		if got, want := upperASCII(s), strings.ToUpper(s); got != want {
			t.Errorf("upperASCII(%q) = %q, want %q", s, got, want)
		}
	}
	// Every word a keyword takes after lowerKeyword, and inputs that
	// strings.ToLower lowers to them or nearly so.
	words := []string{"none", "send", "recv", "both", "default", "eth", "ppp", "ip", "udp", "kind"}
	for _, w := range words {
		for _, in := range []string{w, strings.ToUpper(w), strings.ToUpper(w[:1]) + w[1:],
			strings.ReplaceAll(w, "i", "\u0130"), strings.ReplaceAll(w, "k", "\u212a"),
			strings.ReplaceAll(w, "s", "\u017f"), w + "\xff", "\u00e9" + w} {
			got, want := lowerKeyword(in), strings.ToLower(in)
			for _, k := range words[:7] { // the words nl2tp matches
				if (got == k) != (want == k) {
					t.Errorf("lowerKeyword(%q) = %q, strings.ToLower gives %q: they match %q differently", in, got, want, k)
				}
			}
		}
	}
	for _, s := range []string{"a b", " a\n\tb \u00a0c\u2003d\u3000", "", "   ", "x"} {
		if got, want := oneLine(s), strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " "); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", s, got, want)
		}
	}
}
