package impl

// HoldHashSlots takes every hashing slot of s, as hashes running on every core would, until
// release is called.
func (s *Server) HoldHashSlots() (release func()) {
	for range cap(s.hashSlots) {
		s.hashSlots <- struct{}{}
	}
	return func() {
		for range cap(s.hashSlots) {
			<-s.hashSlots
		}
	}
}
