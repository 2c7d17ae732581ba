package kerneltest

import (
	"fmt"

	"github.com/nl2tp/nl2tp/netlinkraw"
	"golang.org/x/sys/unix"
)

// MTU returns the MTU of the interface called name. A missing interface is
// an error wrapping ENODEV.
func (ns *NetNS) MTU(name string) (int, error) {
	var e netlinkraw.Encoder
	m := e.BeginMessage(rtmGetLink, 0, 0, 0)
	e.Raw(ifinfomsg(0, 0, 0))
	e.String(iflaIfname, name)
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		return 0, fmt.Errorf("kerneltest: MTU of %s: %w", name, err)
	}
	mtu := -1
	err = ns.request("MTU of "+name, msg, func(h netlinkraw.Header, b []byte) error {
		if h.Type != rtmNewLink {
			return nil
		}
		if len(b) < ifinfomsgLen {
			return fmt.Errorf("kerneltest: link reply of %d bytes is shorter than struct ifinfomsg", len(b))
		}
		var d netlinkraw.AttrDecoder
		d.Reset(b[netlinkraw.Align(ifinfomsgLen):])
		for d.Next() {
			if d.Type() == unix.IFLA_MTU {
				mtu = int(d.Uint32())
			}
		}
		return d.Err()
	})
	if err != nil {
		return 0, err
	}
	if mtu < 0 {
		return 0, fmt.Errorf("kerneltest: MTU of %s: the reply has no IFLA_MTU", name)
	}
	return mtu, nil
}
