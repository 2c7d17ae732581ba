package l2tp

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
)

// TestErrNetClosed checks that calls on a closed Conn fail with
// net.ErrClosed, and with nothing like it.
func TestErrNetClosed(t *testing.T) {
	err := errClosed("list tunnels")
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("errors.Is(%v, net.ErrClosed) is false", err)
	}
	if want := "l2tp: list tunnels: " + net.ErrClosed.Error(); err.Error() != want {
		t.Errorf("text %q, want %q", err, want)
	}
	var ne net.Error
	if !errors.As(err, &ne) || ne.Timeout() {
		t.Errorf("errors.As(%v, net.Error) gives %v", err, ne)
	}
	for _, target := range []error{io.EOF, os.ErrClosed, os.ErrDeadlineExceeded, (*net.OpError)(nil), errors.New(net.ErrClosed.Error())} {
		if errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %#v) is true", err, target)
		}
	}
}
