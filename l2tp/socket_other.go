//go:build !linux

package l2tp

import (
	"errors"
	"fmt"
	"os"
)

// NewTunnelSocket makes the socket for a managed tunnel. L2TP sockets exist
// only on Linux: elsewhere it checks t and returns an error matching
// errors.ErrUnsupported.
func NewTunnelSocket(t Tunnel) (*os.File, error) {
	if err := validateTunnel(&t, false); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("l2tp: tunnel %d: socket: %w: L2TP is Linux only", t.ID, errors.ErrUnsupported)
}
