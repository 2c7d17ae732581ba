package main

// nl2tp formats its output and messages without package fmt (see
// internal/text), and without encoding/hex, whose errors use fmt.

// decodeHex decodes hex digits of either case, as hex.DecodeString does;
// ok is false for an odd number of digits or a non-digit.
func decodeHex(s string) (b []byte, ok bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	b = make([]byte, len(s)/2)
	for i := range b {
		hi, ok1 := hexValue(s[2*i])
		lo, ok2 := hexValue(s[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		b[i] = hi<<4 | lo
	}
	return b, true
}

func hexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// The case functions below stand in for strings.ToUpper and
// strings.ToLower, whose Unicode tables add about 16 KB
// to the static binary, where nl2tp's inputs make them give the same
// results.

// upperASCII is strings.ToUpper for ASCII text, which is all nl2tp
// upper-cases (its own words: "rx", "eth").
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// lowerKeyword lower-cases a keyword's value to match it against the
// lower-case ASCII words a keyword takes ("none", "eth", ...). It lowers
// ASCII letters only, which matches the same words as strings.ToLower: the
// only other runes ToLower makes ASCII are U+0130 (to 'i') and U+212A (the
// Kelvin sign, to 'k'), and no such word has an 'i' or a 'k'.
func lowerKeyword(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}
