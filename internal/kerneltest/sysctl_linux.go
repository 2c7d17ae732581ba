package kerneltest

import (
	"fmt"
	"os"
	"strings"
)

// DisableIPv6 turns IPv6 off on the interface called name, so that the
// kernel sends nothing of its own there (no duplicate address detection,
// router solicitations or MLD reports) once it is up. Tests whose counters
// or sequence numbers must see only their own traffic call it before
// LinkUp.
func (ns *NetNS) DisableIPv6(name string) error {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return fmt.Errorf("kerneltest: disable IPv6 on %q: not an interface name", name)
	}
	// /proc/sys/net shows the network namespace of the thread that opens
	// it.
	return ns.Do(func() error {
		err := os.WriteFile("/proc/sys/net/ipv6/conf/"+name+"/disable_ipv6", []byte("1\n"), 0)
		if err != nil {
			return fmt.Errorf("kerneltest: disable IPv6 on %s: %w", name, err)
		}
		return nil
	})
}
