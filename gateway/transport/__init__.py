"""File transport to clearinghouses: the ``Transport`` protocol (base.py), a local
folder (local.py) and SFTP over paramiko (sftp.py), chosen by ``factory.open_transport``.
"""
