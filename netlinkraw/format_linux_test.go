package netlinkraw

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// TestEventsLost checks eventsLost against the fmt.Errorf call it stands
// in for: the same text, and both errors behind it.
func TestEventsLost(t *testing.T) {
	got := eventsLost("receive")
	want := fmt.Errorf("%w: %w", ErrEventsLost, &Error{Op: "receive", Err: unix.ENOBUFS})
	if got.Error() != want.Error() {
		t.Errorf("eventsLost text %q, want %q", got, want)
	}
	var e *Error
	if !errors.Is(got, ErrEventsLost) || !errors.Is(got, unix.ENOBUFS) || !errors.As(got, &e) || e.Op != "receive" {
		t.Errorf("eventsLost(%q) = %v does not unwrap to ErrEventsLost and an *Error with ENOBUFS", "receive", got)
	}
}
