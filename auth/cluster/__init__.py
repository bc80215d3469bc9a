"""Several nodes of the app behind a real load balancer (the scale-out lab, /labs/scale).

  node.py        what makes one process a node: its name and colour on every response and page,
                 its session store (shared or its own), verify-only (public keys from JWKS)
  supervisor.py  `python app.py --nodes 3`: the shared Redis, the nodes as child processes,
                 HAProxy, and the control channel the lab page uses (start a node, pull the plug)
  haproxy.py     the HAProxy configuration generated into the instance folder
  jwks.py        the verify-only node's key ring: public keys fetched with PyJWT's PyJWKClient
"""
