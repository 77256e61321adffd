# Rewrites the importer's xf.causal_mask into the same mask written from
# positions (iota, compare, select), as a hand-written or traced graph has it.
s|^\( *\)\(%[0-9a-z_]*\) = xf.causal_mask \(%[0-9a-z_]*\) : tensor<?x?xi64> -> tensor<?x?xf32>|\1%mask_i = xf.iota \3 dim 1 : tensor<?x?xi64> -> tensor<?x1xi64>\n\1%mask_j = xf.iota \3 dim 1 : tensor<?x?xi64> -> tensor<1x?xi64>\n\1%mask_keep = xf.compare le %mask_j, %mask_i : tensor<1x?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>\n\1\2 = xf.select %mask_keep, 0.000000e+00, -1.000000e+09 : tensor<?x?xi1> -> tensor<?x?xf32>|
