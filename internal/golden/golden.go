// Package golden holds what the two halves of `make golden` share: the
// capture program that runs as a command in a test VM (cmd/capture) and
// the host program that boots the VMs and writes testdata/ (cmd/golden).
//
// The VM has no disk and no network: the capture program prints each
// operation it captured as one JSON line on the console, after MarkOp
// (guest.MarkedLine), and the host parses those lines back
// (vmtest.Reports).
package golden

import "fmt"

// Console markers, at the start of a line.
const (
	// MarkInfo precedes the JSON of an Info.
	MarkInfo = "NL2TP-GOLDEN-INFO "
	// MarkOp precedes the JSON of one Op.
	MarkOp = "NL2TP-GOLDEN-OP "
)

// Info describes the capture run.
type Info struct {
	Release  string // uname -r in the VM
	FamilyID uint16 // the l2tp generic netlink family ID in this boot
	Group    uint32 // the l2tp multicast group ID in this boot
	IP       string // `ip -V` of the iproute2 used
}

// Frame kinds.
const (
	KindRequest = "request" // user space to kernel
	KindReply   = "reply"   // kernel to user: GET replies (a dump's may end with NLMSG_DONE)
	KindDone    = "done"    // kernel to user: only NLMSG_DONE
	KindAck     = "ack"     // kernel to user: NLMSG_ERROR with error 0
	KindError   = "error"   // kernel to user: NLMSG_ERROR with an errno
	KindEvent   = "event"   // kernel to a subscriber: a multicast event
)

// A Frame is one netlink datagram seen on the nlmon interface: one
// socket buffer, which may hold several netlink messages (a dump's).
type Frame struct {
	Kind string
	Data []byte
}

// An Op is one scripted operation and the L2TP frames it caused.
type Op struct {
	Name   string  // file name stem, as tunnel_get_udp4
	Tool   string  // "ip" (iproute2), "nl2tp" (package l2tp) or "raw" (hand-made with netlinkraw)
	Detail string  // the command line or the call, for the README
	Keep   bool    // store its frames (setup steps are not stored)
	Frames []Frame // in the order nlmon saw them
	Output string  // what the tool printed, if anything (ip l2tp show)
}

// FileNames returns the file name of each of op's frames:
// "<op>.<kind>.bin", or "<op>.<kind>.<n>.bin" (n from 1) for a kind that
// occurs more than once in op.
func (op *Op) FileNames() []string {
	count := map[string]int{}
	for _, f := range op.Frames {
		count[f.Kind]++
	}
	seen := map[string]int{}
	names := make([]string, len(op.Frames))
	for i, f := range op.Frames {
		seen[f.Kind]++
		if count[f.Kind] > 1 {
			names[i] = fmt.Sprintf("%s.%s.%d.bin", op.Name, f.Kind, seen[f.Kind])
		} else {
			names[i] = fmt.Sprintf("%s.%s.bin", op.Name, f.Kind)
		}
	}
	return names
}
