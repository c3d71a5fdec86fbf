-- ipc_write_peers: the addresses and ports written to on recorded sockets (the cleartext
-- checks: the model server's alone).
SELECT DISTINCT remote_addr, remote_port FROM ipc WHERE direction = 'write'
