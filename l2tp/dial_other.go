//go:build !linux

package l2tp

import (
	"errors"

	"github.com/nl2tp/nl2tp/internal/text"
)

// Dial opens a connection to the kernel's L2TP generic netlink family. L2TP
// netlink exists only on Linux: elsewhere Dial returns an error matching
// errors.ErrUnsupported.
func Dial(cfg *Config) (*Conn, error) {
	return nil, text.Wrap("l2tp: dial: ", errors.ErrUnsupported, ": L2TP netlink is Linux only")
}
