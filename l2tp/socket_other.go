//go:build !linux

package l2tp

import (
	"errors"
	"os"

	"github.com/nl2tp/nl2tp/internal/text"
)

// NewTunnelSocket makes the socket for a managed tunnel. L2TP sockets exist
// only on Linux: elsewhere it checks t and returns an error matching
// errors.ErrUnsupported.
func NewTunnelSocket(t Tunnel) (*os.File, error) {
	if err := validateTunnel(&t, false); err != nil {
		return nil, err
	}
	return nil, text.Wrap("l2tp: tunnel "+text.Itoa(t.ID)+": socket: ", errors.ErrUnsupported, ": L2TP is Linux only")
}
