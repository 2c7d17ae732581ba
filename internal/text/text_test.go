package text

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"testing"
	"unicode"
)

// TestIsSpace checks IsSpace against unicode.IsSpace for every rune.
func TestIsSpace(t *testing.T) {
	for r := rune(-1); r <= unicode.MaxRune+1; r++ {
		if got, want := IsSpace(r), unicode.IsSpace(r); got != want {
			t.Errorf("IsSpace(%U) = %v, want %v", r, got, want)
		}
	}
}

// TestWrap checks Wrap and Wrap2 against the fmt.Errorf calls they
// replace: the same text, and errors.Is and errors.As see through them
// alike.
func TestWrap(t *testing.T) {
	for _, err := range []error{fs.ErrNotExist, &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}, nil} {
		got := Wrap("pkg: x: ", err, ": after")
		want := fmt.Errorf("pkg: x: %w: after", err)
		if got.Error() != want.Error() {
			t.Errorf("Wrap text %q, want %q", got, want)
		}
		if errors.Unwrap(got) != errors.Unwrap(want) {
			t.Errorf("Wrap(%v) unwraps to %v, want %v", err, errors.Unwrap(got), errors.Unwrap(want))
		}
		for _, target := range []error{fs.ErrNotExist, fs.ErrPermission, os.ErrClosed} {
			if errors.Is(got, target) != errors.Is(want, target) {
				t.Errorf("errors.Is(Wrap(%v), %v) = %v, fmt.Errorf's %v", err, target, errors.Is(got, target), errors.Is(want, target))
			}
		}
	}
	a, b := fs.ErrExist, &fs.PathError{Op: "read", Path: "y", Err: fs.ErrClosed}
	got := Wrap2(a, ": ", b)
	want := fmt.Errorf("%w: %w", a, b)
	if got.Error() != want.Error() {
		t.Errorf("Wrap2 text %q, want %q", got, want)
	}
	var pe *fs.PathError
	if !errors.Is(got, fs.ErrExist) || !errors.Is(got, fs.ErrClosed) || !errors.As(got, &pe) || pe != b {
		t.Errorf("Wrap2(%v, %v) = %v does not unwrap to both", a, b, got)
	}
}

func TestItoa(t *testing.T) {
	type named uint16
	for _, c := range []struct{ got, want string }{
		{Itoa(0), "0"},
		{Itoa(-7), "-7"},
		{Itoa(int8(math.MinInt8)), fmt.Sprint(math.MinInt8)},
		{Itoa(int64(math.MinInt64)), fmt.Sprint(math.MinInt64)},
		{Itoa(uint64(math.MaxUint64)), fmt.Sprint(uint64(math.MaxUint64))},
		{Itoa(uintptr(42)), "42"},
		{Itoa(named(65535)), fmt.Sprintf("%d", named(65535))},
	} {
		if c.got != c.want {
			t.Errorf("Itoa gave %q, want %q", c.got, c.want)
		}
	}
}
