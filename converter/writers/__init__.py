"""Writers: ModelSpec -> a TF.js model directory, through the codec."""
