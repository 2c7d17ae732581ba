// Package text holds the few formatting helpers that netlinkraw, l2tp and
// the nl2tp command use in place of package fmt. One call to fmt links its
// whole reflection-based printer, about 200 KB of a static binary such as
// cmd/nl2tp; these give the same texts and the same unwrapping as the fmt
// calls they replace.
package text

import "strconv"

// wrapError is what fmt.Errorf returns for a format with one %w verb.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// Wrap is fmt.Errorf(before+"%w"+after, err): an error whose text is
// before, err's text and after, and that unwraps to err.
func Wrap(before string, err error, after string) error {
	return &wrapError{msg: before + errText(err) + after, err: err}
}

// wrapErrors is what fmt.Errorf returns for a format with several %w verbs.
type wrapErrors struct {
	msg  string
	errs []error
}

func (e *wrapErrors) Error() string   { return e.msg }
func (e *wrapErrors) Unwrap() []error { return e.errs }

// Wrap2 is fmt.Errorf("%w"+sep+"%w", a, b): an error whose text is a's
// text, sep and b's text, and that unwraps to both.
func Wrap2(a error, sep string, b error) error {
	return &wrapErrors{msg: errText(a) + sep + errText(b), errs: []error{a, b}}
}

// errText is err's text as %w prints it.
func errText(err error) string {
	if err == nil {
		return "%!w(<nil>)"
	}
	return err.Error()
}

// Integer is the integer types Itoa takes.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// Itoa is v in decimal, as %d prints it.
func Itoa[T Integer](v T) string {
	if v < 0 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatUint(uint64(v), 10)
}

// IsSpace is unicode.IsSpace, the runes with Unicode's White_Space
// property, without unicode's tables.
func IsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200a
}
