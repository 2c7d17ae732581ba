//go:build !linux

package l2tp

import (
	"errors"
	"fmt"
)

// Dial opens a connection to the kernel's L2TP generic netlink family. L2TP
// netlink exists only on Linux: elsewhere Dial returns an error matching
// errors.ErrUnsupported.
func Dial(cfg *Config) (*Conn, error) {
	return nil, fmt.Errorf("l2tp: dial: %w: L2TP netlink is Linux only", errors.ErrUnsupported)
}
