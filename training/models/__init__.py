"""Model families behind one small interface: fit, predict_proba, save, load."""
