"""Moving files between the gateway's store and a partner's folders: upload (outbox →
partner) and poll (partner → inbox). The transport does the I/O, the FileStore the
bookkeeping; these use cases order the two so that a crash anywhere is recoverable.
"""
