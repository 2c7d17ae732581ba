package golden

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nl2tp/nl2tp/internal/vmtest/guest"
)

func TestFileNames(t *testing.T) {
	op := Op{Name: "session_dump", Frames: []Frame{{Kind: KindRequest}, {Kind: KindReply}, {Kind: KindReply}, {Kind: KindDone}}}
	want := []string{"session_dump.request.bin", "session_dump.reply.1.bin", "session_dump.reply.2.bin", "session_dump.done.bin"}
	if diff := cmp.Diff(want, op.FileNames()); diff != "" {
		t.Errorf("unexpected names (-want +got):\n%s", diff)
	}
}

func TestLineRoundTrip(t *testing.T) {
	in := Op{Name: "tunnel_get_udp4", Tool: "nl2tp", Detail: "GetTunnel(1)", Keep: true,
		Frames: []Frame{{Kind: KindRequest, Data: []byte{0x1c, 0, 0, 0, 0x22, 0}}}}
	line, err := guest.MarkedLine(MarkOp, in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, MarkOp) || strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("line %q is not one marked line", line)
	}
	var out Op
	ok, err := guest.ParseMarkedLine(strings.TrimSuffix(line, "\n"), MarkOp, &out)
	if !ok || err != nil {
		t.Fatalf("ParseMarkedLine: %v %v", ok, err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	if ok, _ := guest.ParseMarkedLine("[    1.0] something", MarkOp, &out); ok {
		t.Error("a kernel line parsed as an op")
	}
	if ok, err := guest.ParseMarkedLine(MarkOp+`{"Name": "cut`, MarkOp, &out); !ok || err == nil {
		t.Errorf("a cut line: got %v %v, want an error", ok, err)
	}
}
