"""File transport to clearinghouses (local folder, SFTP). Empty until the transport lands."""
