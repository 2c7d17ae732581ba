package kerneltest

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/nl2tp/nl2tp/netlinkraw"
	"golang.org/x/sys/unix"
)

// rtnetlink numbers, from <linux/rtnetlink.h>, <linux/if_link.h>,
// <linux/if_addr.h> and <linux/veth.h>.
const (
	rtmNewLink = unix.RTM_NEWLINK
	rtmGetLink = unix.RTM_GETLINK
	rtmNewAddr = unix.RTM_NEWADDR

	iflaIfname    = unix.IFLA_IFNAME
	iflaLinkinfo  = unix.IFLA_LINKINFO
	iflaNetNSFD   = unix.IFLA_NET_NS_FD
	iflaStats64   = unix.IFLA_STATS64
	iflaOperstate = unix.IFLA_OPERSTATE
	iflaInfoKind  = unix.IFLA_INFO_KIND
	iflaInfoData  = unix.IFLA_INFO_DATA
	vethInfoPeer  = 1 // VETH_INFO_PEER

	ifaAddress = unix.IFA_ADDRESS
	ifaLocal   = unix.IFA_LOCAL
	ifaFlags   = unix.IFA_FLAGS
	ifaFNoDAD  = unix.IFA_F_NODAD

	ifinfomsgLen = unix.SizeofIfInfomsg // 16
	ifaddrmsgLen = unix.SizeofIfAddrmsg // 8

	operUp = 6 // IF_OPER_UP
)

// ifinfomsg encodes a struct ifinfomsg.
func ifinfomsg(index int32, flags, change uint32) []byte {
	b := make([]byte, ifinfomsgLen)
	b[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	binary.NativeEndian.PutUint32(b[8:12], flags)
	binary.NativeEndian.PutUint32(b[12:16], change)
	return b
}

func (ns *NetNS) request(op string, msg []byte, fn func(netlinkraw.Header, []byte) error) error {
	c, err := ns.route()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Request(ctx, msg, fn); err != nil {
		return fmt.Errorf("kerneltest: %s: %w", op, err)
	}
	return nil
}

// AddVeth creates a veth pair: name in ns, and its peer called peerName in
// the namespace peerNS (ns itself when nil).
func (ns *NetNS) AddVeth(name, peerName string, peerNS *NetNS) error {
	var e netlinkraw.Encoder
	m := e.BeginMessage(rtmNewLink, netlinkraw.FlagCreate|netlinkraw.FlagExcl, 0, 0)
	e.Raw(ifinfomsg(0, 0, 0))
	e.String(iflaIfname, name)
	li := e.BeginNested(iflaLinkinfo)
	e.String(iflaInfoKind, "veth")
	data := e.BeginNested(iflaInfoData)
	peer := e.BeginNested(vethInfoPeer)
	e.Raw(ifinfomsg(0, 0, 0))
	e.String(iflaIfname, peerName)
	if peerNS != nil {
		e.Uint32(iflaNetNSFD, uint32(peerNS.FD()))
	}
	e.EndNested(peer)
	e.EndNested(data)
	e.EndNested(li)
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		return fmt.Errorf("kerneltest: add veth %s: %w", name, err)
	}
	return ns.request("add veth "+name+"/"+peerName, msg, nil)
}

// LinkIndex returns the index of the interface called name.
func (ns *NetNS) LinkIndex(name string) (int, error) {
	l, err := ns.Link(name)
	return l.Index, err
}

// A Link is what Link reports of an interface.
type Link struct {
	Index int
	Flags uint32 // IFF_UP, ...
	// OperUp is true when the operational state is IF_OPER_UP.
	OperUp bool
	Stats  LinkStats
}

// LinkStats are an interface's counters (the start of struct
// rtnl_link_stats64).
type LinkStats struct {
	RxPackets, TxPackets uint64
	RxBytes, TxBytes     uint64
	RxErrors, TxErrors   uint64
	RxDropped, TxDropped uint64
}

// Link returns the index, flags, state and counters of the interface
// called name. A missing interface is an error wrapping ENODEV.
func (ns *NetNS) Link(name string) (Link, error) {
	var e netlinkraw.Encoder
	m := e.BeginMessage(rtmGetLink, 0, 0, 0)
	e.Raw(ifinfomsg(0, 0, 0))
	e.String(iflaIfname, name)
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		return Link{}, fmt.Errorf("kerneltest: link %s: %w", name, err)
	}
	var (
		l     Link
		found bool
	)
	err = ns.request("link "+name, msg, func(h netlinkraw.Header, b []byte) error {
		if h.Type != rtmNewLink {
			return nil
		}
		var err error
		l, err = parseLink(b)
		found = err == nil
		return err
	})
	if err != nil {
		return Link{}, err
	}
	if !found {
		return Link{}, fmt.Errorf("kerneltest: link %s: no reply", name)
	}
	return l, nil
}

func parseLink(b []byte) (Link, error) {
	if len(b) < ifinfomsgLen {
		return Link{}, fmt.Errorf("kerneltest: link reply of %d bytes is shorter than struct ifinfomsg", len(b))
	}
	l := Link{
		Index: int(int32(binary.NativeEndian.Uint32(b[4:8]))),
		Flags: binary.NativeEndian.Uint32(b[8:12]),
	}
	var d netlinkraw.AttrDecoder
	d.Reset(b[netlinkraw.Align(ifinfomsgLen):])
	for d.Next() {
		switch d.Type() {
		case iflaOperstate:
			l.OperUp = d.Uint8() == operUp
		case iflaStats64:
			s := d.Bytes()
			if len(s) < 8*8 {
				return Link{}, fmt.Errorf("kerneltest: IFLA_STATS64 of %d bytes, want at least 64", len(s))
			}
			u := func(i int) uint64 { return binary.NativeEndian.Uint64(s[8*i:]) }
			l.Stats = LinkStats{
				RxPackets: u(0), TxPackets: u(1), RxBytes: u(2), TxBytes: u(3),
				RxErrors: u(4), TxErrors: u(5), RxDropped: u(6), TxDropped: u(7),
			}
		}
	}
	return l, d.Err()
}

// LinkUp sets the interface called name up.
func (ns *NetNS) LinkUp(name string) error {
	idx, err := ns.LinkIndex(name)
	if err != nil {
		return err
	}
	var e netlinkraw.Encoder
	m := e.BeginMessage(rtmNewLink, 0, 0, 0)
	e.Raw(ifinfomsg(int32(idx), unix.IFF_UP, unix.IFF_UP))
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		return fmt.Errorf("kerneltest: set %s up: %w", name, err)
	}
	return ns.request("set "+name+" up", msg, nil)
}

// WaitOperUp waits until the interface called name is operationally up
// (for a veth: both ends are up), or the timeout passes.
func (ns *NetNS) WaitOperUp(name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		l, err := ns.Link(name)
		if err != nil {
			return err
		}
		if l.OperUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kerneltest: %s not operationally up after %v", name, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// AddAddr adds the address p (address and prefix length) to the interface
// called name. IPv6 addresses skip duplicate address detection, so they are
// usable at once.
func (ns *NetNS) AddAddr(name string, p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("kerneltest: add address to %s: invalid prefix %v", name, p)
	}
	idx, err := ns.LinkIndex(name)
	if err != nil {
		return err
	}
	a := p.Addr().Unmap()
	hdr := make([]byte, ifaddrmsgLen)
	var flags uint32
	if a.Is4() {
		hdr[0] = unix.AF_INET
	} else {
		hdr[0] = unix.AF_INET6
		flags = ifaFNoDAD
	}
	hdr[1] = byte(p.Bits())
	hdr[2] = byte(flags)
	binary.NativeEndian.PutUint32(hdr[4:8], uint32(idx))
	var e netlinkraw.Encoder
	m := e.BeginMessage(rtmNewAddr, netlinkraw.FlagCreate|netlinkraw.FlagExcl, 0, 0)
	e.Raw(hdr)
	e.Bytes(ifaLocal, a.AsSlice())
	e.Bytes(ifaAddress, a.AsSlice())
	if flags != 0 {
		e.Uint32(ifaFlags, flags)
	}
	e.EndMessage(m)
	msg, err := e.Encoded()
	if err != nil {
		return fmt.Errorf("kerneltest: add address %v to %s: %w", p, name, err)
	}
	return ns.request(fmt.Sprintf("add address %v to %s", p, name), msg, nil)
}

// Veth joins namespaces a and b with a veth pair, nameA in a and nameB in
// b, puts the addresses on each end, sets both ends up and waits until
// they carry traffic. It fails the test on any error.
func Veth(tb testing.TB, a *NetNS, nameA string, addrsA []netip.Prefix, b *NetNS, nameB string, addrsB []netip.Prefix) {
	tb.Helper()
	if err := a.AddVeth(nameA, nameB, b); err != nil {
		tb.Fatal(err)
	}
	for _, end := range []struct {
		ns    *NetNS
		name  string
		addrs []netip.Prefix
	}{{a, nameA, addrsA}, {b, nameB, addrsB}} {
		for _, p := range end.addrs {
			if err := end.ns.AddAddr(end.name, p); err != nil {
				tb.Fatal(err)
			}
		}
		if err := end.ns.LinkUp(end.name); err != nil {
			tb.Fatal(err)
		}
	}
	for _, end := range []struct {
		ns   *NetNS
		name string
	}{{a, nameA}, {b, nameB}} {
		if err := end.ns.WaitOperUp(end.name, 10*time.Second); err != nil {
			tb.Fatal(err)
		}
	}
}
