package secrets
import "testing"
func TestZZ(t *testing.T){
 s:="Copied for DestinationAmi ami-0abcdef1234567890 from SourceAmi ami-0fedcba9876543210 from SourceSnapshot snap-0123456789abcdef0. Task created on 1,706,659,200,000."
 m:=triggered(s)
 for i:=range detectors { if m&(1<<uint(i))!=0 { t.Log(detectors[i].id) } }
}
func BenchmarkZZ(b *testing.B){
 s:="Copied for DestinationAmi ami-0abcdef1234567890 from SourceAmi ami-0fedcba9876543210 from SourceSnapshot snap-0123456789abcdef0. Task created on 1,706,659,200,000."
 for b.Loop(){ triggered(s) }
}
