# A batch scoring script, shipped as an asset: mlcdk uploads it to the
# environment's assets bucket under its content hash before deploying.
print("scoring")
