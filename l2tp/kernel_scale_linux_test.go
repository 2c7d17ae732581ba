package l2tp_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/l2tp"
	"golang.org/x/sys/unix"
)

// TestKernelBatch1000 creates 1000 sessions in one batch, a few of them
// failing on purpose, and checks that exactly those fail, each for its
// own reason, and that the others exist.
func TestKernelBatch1000(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	// Over IP, so that session IDs must be unique in the namespace on
	// every kernel.
	tun := l2tp.Tunnel{ID: 901, PeerID: 902, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4}
	if _, err := c.CreateTunnel(ctx, tun); err != nil {
		t.Fatalf("CreateTunnel: %v", err)
	}
	if _, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 901, ID: 5, PeerID: 5, Pseudowire: l2tp.PseudowireEth}); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	const n = 1000
	ss := make([]l2tp.Session, n)
	for i := range ss {
		ss[i] = l2tp.Session{TunnelID: 901, ID: uint32(20000 + i), PeerID: uint32(30000 + i), Pseudowire: l2tp.PseudowireEth}
	}
	ss[100].ID = 5               // in use before the batch
	ss[200].ID = ss[199].ID      // in use by an earlier item of the batch
	ss[300].TunnelID = 999       // no such tunnel
	ss[400].Cookie = []byte{1}   // invalid: not sent
	ss[500].InterfaceName = "lo" // interface name in use
	ss[600].Pseudowire = l2tp.PseudowirePPP
	ss[999].InterfaceName = "ul0" // the last one fails too
	type failure struct {
		targets []error
	}
	failures := map[int]failure{
		100: {[]error{unix.EEXIST, fs.ErrExist}},
		200: {[]error{unix.EEXIST, fs.ErrExist}},
		300: {[]error{l2tp.ErrNotFound, unix.ENODEV}},
		400: {[]error{l2tp.ErrInvalid}},
		500: {[]error{unix.EEXIST, fs.ErrExist}},
		600: {[]error{errors.ErrUnsupported, unix.EPROTONOSUPPORT}},
		999: {[]error{unix.EEXIST, fs.ErrExist}},
	}
	start := time.Now()
	errs, err := c.CreateSessions(ctx, ss)
	if err != nil {
		t.Fatalf("CreateSessions: %v", err)
	}
	t.Logf("batch of %d session creates in %v", n, time.Since(start))
	if len(errs) != n {
		t.Fatalf("CreateSessions returned %d results for %d items", len(errs), n)
	}
	wantIDs := []uint32{5}
	for i, err := range errs {
		f, fail := failures[i]
		switch {
		case fail:
			checkErr(t, fmt.Sprintf("item %d", i), err, f.targets...)
		case err != nil:
			t.Errorf("item %d (session %d): unexpected error %v", i, ss[i].ID, err)
		default:
			wantIDs = append(wantIDs, ss[i].ID)
		}
	}
	got, err := c.ListSessions(ctx, l2tp.SessionFilter{TunnelID: 901})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	var gotIDs []uint32
	for _, s := range got {
		gotIDs = append(gotIDs, s.ID)
	}
	slices.Sort(gotIDs)
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("sessions after the batch (-want +got):\n%s", diff)
	}
	if all, err := c.ListSessions(ctx, l2tp.SessionFilter{}); err != nil || len(all) != len(wantIDs) {
		t.Errorf("ListSessions: %d sessions, %v; want %d (nothing in tunnel 999)", len(all), err, len(wantIDs))
	}

	// DeleteSessions: 200 of them, by ID or by name, and a few that do
	// not exist. (The namespace's end removes the others: deleting
	// interfaces one by one is slow under emulation.)
	var del []l2tp.Session
	for i, s := range got[:200] {
		if i%2 == 0 {
			del = append(del, l2tp.Session{TunnelID: s.TunnelID, ID: s.ID})
		} else {
			del = append(del, l2tp.Session{InterfaceName: s.InterfaceName})
		}
	}
	absent := func(id uint32) l2tp.Session { return l2tp.Session{TunnelID: 901, ID: id} }
	del = slices.Concat([]l2tp.Session{absent(77001)}, del[:100], []l2tp.Session{absent(77002)}, del[100:], []l2tp.Session{absent(77003)})
	missing := map[int]bool{0: true, 101: true, len(del) - 1: true}
	errs, err = c.DeleteSessions(ctx, del)
	if err != nil {
		t.Fatalf("DeleteSessions: %v", err)
	}
	for i, err := range errs {
		if missing[i] {
			checkErr(t, fmt.Sprintf("DeleteSessions item %d (missing)", i), err, l2tp.ErrNotFound, unix.ENODEV)
		} else if err != nil {
			t.Errorf("DeleteSessions item %d (%+v): %v", i, del[i], err)
		}
	}
	waitFor(t, 10*time.Second, "the deleted sessions to go", func() bool {
		left, err := c.ListSessions(ctx, l2tp.SessionFilter{})
		return err == nil && len(left) == len(got)-200
	})
	left, err := c.ListSessions(ctx, l2tp.SessionFilter{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	for _, s := range left {
		if slices.ContainsFunc(del, func(d l2tp.Session) bool { return d.ID == s.ID || d.InterfaceName == s.InterfaceName }) {
			t.Errorf("session %d (%s) is still there after DeleteSessions", s.ID, s.InterfaceName)
		}
	}
}

// TestKernelDump2000 creates 2000 sessions, all different, in four
// tunnels and checks that a dump lists exactly them (a dump takes many
// messages and several reads). It comes last: the kernel takes a while to
// remove 2000 interfaces when the namespace goes.
func TestKernelDump2000(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	tunnels := []l2tp.Tunnel{
		{ID: 1001, PeerID: 2001, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 17001, RemotePort: 17002},
		{ID: 1002, PeerID: 2002, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 17003, RemotePort: 17004},
		{ID: 1003, PeerID: 2003, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4},
		{ID: 1004, PeerID: 2004, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6},
	}
	for _, tun := range tunnels {
		if _, err := c.CreateTunnel(ctx, tun); err != nil {
			t.Fatalf("CreateTunnel: %v", err)
		}
	}
	// A subscription with a small buffer that is not read while the
	// sessions are made loses events.
	small, err := l2tp.Dial(&l2tp.Config{NetNS: ns.FD(), ReceiveBufferSize: 4096})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer small.Close()
	subCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	sub, err := small.Events(subCtx)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	defer sub.Close()

	const n = 2000
	ss := make([]l2tp.Session, n)
	want := make([]l2tp.Session, n)
	for i := range ss {
		tun := tunnels[i%len(tunnels)]
		s := l2tp.Session{
			TunnelID: tun.ID, ID: uint32(100000 + i), PeerID: uint32(500000 + 3*i), Pseudowire: l2tp.PseudowireEth,
			SendSeq: i%2 == 0, RecvSeq: i%3 == 0, LNSMode: i%7 == 0,
			ReorderTimeout: time.Duration(i%4) * 20 * time.Millisecond,
			InterfaceName:  fmt.Sprintf("pw%d", i),
		}
		if i%3 != 1 {
			s.Cookie = binary.BigEndian.AppendUint32(nil, uint32(i)|0xc0000000)
		}
		if i%5 != 0 {
			s.PeerCookie = binary.BigEndian.AppendUint64(nil, uint64(i)<<32|0xfeed)
		}
		if i%2 == 1 {
			s.L2Spec = l2tp.L2SpecDefault
		}
		ss[i] = s
		w := s
		w.PeerTunnelID = tun.PeerID
		w.L2Spec = l2tp.L2SpecNone // never reported
		want[i] = w
	}
	start := time.Now()
	errs, err := c.CreateSessions(ctx, ss)
	if err != nil {
		t.Fatalf("CreateSessions: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("CreateSessions item %d: %v", i, err)
		}
	}
	t.Logf("created %d sessions in %v", n, time.Since(start))

	start = time.Now()
	got, err := c.ListSessions(ctx, l2tp.SessionFilter{})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	t.Logf("listed %d sessions in %v", len(got), time.Since(start))
	sortSessions(got)
	sortSessions(want)
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("ListSessions of %d sessions (-want +got):\n%s", n, diff)
	}
	for _, s := range got {
		if s.Stats.Present != l2tp.StatAll {
			t.Errorf("session %d: Stats.Present %#x, want %#x", s.ID, s.Stats.Present, l2tp.StatAll)
			break
		}
	}
	for _, tun := range tunnels {
		got, err := c.ListSessions(ctx, l2tp.SessionFilter{TunnelID: tun.ID})
		if err != nil {
			t.Fatalf("ListSessions: %v", err)
		}
		if len(got) != n/len(tunnels) || slices.ContainsFunc(got, func(s l2tp.Session) bool { return s.TunnelID != tun.ID }) {
			t.Errorf("ListSessions of tunnel %d: %d sessions, some maybe of other tunnels; want %d", tun.ID, len(got), n/len(tunnels))
		}
	}
	one, err := c.ListSessions(ctx, l2tp.SessionFilter{InterfaceName: "pw1234"})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(one) != 1 || one[0].ID != 101234 {
		t.Errorf("ListSessions of pw1234: %+v, want session 101234", one)
	}
	lt, err := c.ListTunnels(ctx)
	if err != nil || len(lt) != len(tunnels) {
		t.Errorf("ListTunnels: %d tunnels, %v; want %d", len(lt), err, len(tunnels))
	}

	// The subscription reports the loss, then goes on.
	lost := false
	for range n {
		_, err := sub.Next()
		if errors.Is(err, l2tp.ErrEventsLost) {
			lost = true
			break
		}
		if err != nil {
			t.Fatalf("Subscription.Next: %v", err)
		}
	}
	if !lost {
		t.Fatalf("a subscription with a %d-byte buffer got every one of %d events", 4096, n)
	}
	// The kernel drops every event for the subscription until it has
	// read what is queued, so the change is repeated until it gets
	// through.
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				c.ModifyTunnel(ctx, 1004, 0)
			}
		}
	}()
	for {
		ev, err := sub.Next()
		if errors.Is(err, l2tp.ErrEventsLost) {
			continue
		}
		if err != nil {
			t.Fatalf("Subscription.Next after ErrEventsLost: %v", err)
		}
		if ev.Kind == l2tp.EventTunnelModify && ev.Tunnel.ID == 1004 {
			break
		}
	}
}
